package dev.passthru.vfio;

/**
 * struct vfio_iommu_type1_dma_map and _dma_unmap, for VFIO_IOMMU_MAP_DMA and _UNMAP_DMA:
 * <pre>
 *   map:    0 argsz | 4 flags | 8 vaddr (u64) | 16 iova (u64) | 24 size (u64) | 32
 *   unmap:  0 argsz | 4 flags | 8 iova (u64)  | 16 size (u64) | 24
 * </pre>
 */
final class DmaMap extends VfioStruct {

    static final int MAP_VADDR_OFFSET = 8;
    static final int MAP_IOVA_OFFSET = 16;
    static final int MAP_SIZE_OFFSET = 24;
    static final int MAP_SIZE = 32;
    static final int UNMAP_IOVA_OFFSET = 8;
    static final int UNMAP_SIZE_OFFSET = 16;
    static final int UNMAP_SIZE = 24;

    private DmaMap(int size) {
        super(size);
    }

    /** Device reads and writes of iova..iova+size reach this process at vaddr. */
    static DmaMap map(long vaddr, long iova, long size) {
        DmaMap map = new DmaMap(MAP_SIZE);
        map.putInt(FLAGS_OFFSET, Vfio.DMA_MAP_FLAG_READ_WRITE);
        map.putLong(MAP_VADDR_OFFSET, vaddr);
        map.putLong(MAP_IOVA_OFFSET, iova);
        map.putLong(MAP_SIZE_OFFSET, size);
        return map;
    }

    static DmaMap unmap(long iova, long size) {
        DmaMap unmap = new DmaMap(UNMAP_SIZE);
        unmap.putLong(UNMAP_IOVA_OFFSET, iova);
        unmap.putLong(UNMAP_SIZE_OFFSET, size);
        return unmap;
    }
}
