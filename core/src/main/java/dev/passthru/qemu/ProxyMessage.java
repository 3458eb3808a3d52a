package dev.passthru.qemu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One message of QEMU 7.2's multi-process link (hw/remote/mpqemu-link.h) as a flyweight over a
 * byte array its owner keeps for every message it sends or receives. Little-endian, as QEMU
 * writes its structs on x86-64: a 16-byte header, then {@code size} bytes of the command's data.
 * <pre>
 *   header   0 cmd (int32)    4 padding        8 size (uint64)   16 data ...
 *   config   16 addr (uint32) 20 val (uint32)  24 len (int32)                           PciConfDataMsg, 12 bytes
 *   bar      16 addr (uint64) 24 val (uint64)  32 size (uint32)  36 memory (bool)       BarAccessMsg, 24 bytes
 *   ret      16 value (uint64)                                                          8 bytes
 *   sysmem   16 gpas[8]       80 sizes[8]      144 offsets[8]                           SyncSysmemMsg, 192 bytes
 * </pre>
 * SYNC_SYSMEM and SET_IRQFD bring their file descriptors with the header (SCM_RIGHTS).
 */
final class ProxyMessage {

    static final int SYNC_SYSMEM = 0;
    static final int RET = 1;
    static final int PCI_CFGWRITE = 2;
    static final int PCI_CFGREAD = 3;
    static final int BAR_WRITE = 4;
    static final int BAR_READ = 5;
    static final int SET_IRQFD = 6;
    static final int DEVICE_RESET = 7;

    static final int CMD_OFFSET = 0;
    static final int SIZE_OFFSET = 8;
    static final int HEADER = 16;
    static final int CONFIG_ADDRESS_OFFSET = HEADER;
    static final int CONFIG_VALUE_OFFSET = HEADER + 4;
    static final int CONFIG_WIDTH_OFFSET = HEADER + 8;
    static final int CONFIG_DATA = 12;
    static final int BAR_ADDRESS_OFFSET = HEADER;
    static final int BAR_VALUE_OFFSET = HEADER + 8;
    static final int BAR_WIDTH_OFFSET = HEADER + 16;
    static final int BAR_MEMORY_OFFSET = HEADER + 20;
    static final int BAR_DATA = 24;
    static final int RET_VALUE_OFFSET = HEADER;
    static final int RET_DATA = 8;
    /** Eight guest addresses, eight sizes, eight offsets. */
    static final int SYSMEM_DATA = 192;
    /** The largest message either side sends: SYNC_SYSMEM. */
    static final int LARGEST = HEADER + SYSMEM_DATA;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] bytes;

    /** A message buffer of {@code capacity} bytes, header included. */
    ProxyMessage(int capacity) {
        bytes = new byte[capacity];
    }

    /** The bytes to send or to receive into. */
    byte[] bytes() {
        return bytes;
    }

    int cmd() {
        return (int) INT.get(bytes, CMD_OFFSET);
    }

    /** The data size the header gives. */
    long size() {
        return (long) LONG.get(bytes, SIZE_OFFSET);
    }

    /** The whole message's length as the header gives it: header and data. */
    int length() {
        return HEADER + (int) size();
    }

    ProxyMessage header(int cmd, int size) {
        INT.set(bytes, CMD_OFFSET, cmd);
        INT.set(bytes, CMD_OFFSET + 4, 0);
        LONG.set(bytes, SIZE_OFFSET, (long) size);
        return this;
    }

    int configAddress() {
        return (int) INT.get(bytes, CONFIG_ADDRESS_OFFSET);
    }

    int configValue() {
        return (int) INT.get(bytes, CONFIG_VALUE_OFFSET);
    }

    int configWidth() {
        return (int) INT.get(bytes, CONFIG_WIDTH_OFFSET);
    }

    /** A PCI_CFGREAD or PCI_CFGWRITE, header and data. */
    ProxyMessage config(int cmd, int address, int value, int width) {
        header(cmd, CONFIG_DATA);
        INT.set(bytes, CONFIG_ADDRESS_OFFSET, address);
        INT.set(bytes, CONFIG_VALUE_OFFSET, value);
        INT.set(bytes, CONFIG_WIDTH_OFFSET, width);
        return this;
    }

    long barAddress() {
        return (long) LONG.get(bytes, BAR_ADDRESS_OFFSET);
    }

    long barValue() {
        return (long) LONG.get(bytes, BAR_VALUE_OFFSET);
    }

    int barWidth() {
        return (int) INT.get(bytes, BAR_WIDTH_OFFSET);
    }

    /** Memory space; false for port I/O. */
    boolean barMemory() {
        return bytes[BAR_MEMORY_OFFSET] != 0;
    }

    /** A BAR_READ or BAR_WRITE, header and data. */
    ProxyMessage bar(int cmd, long address, long value, int width, boolean memory) {
        header(cmd, BAR_DATA);
        LONG.set(bytes, BAR_ADDRESS_OFFSET, address);
        LONG.set(bytes, BAR_VALUE_OFFSET, value);
        INT.set(bytes, BAR_WIDTH_OFFSET, width);
        INT.set(bytes, BAR_MEMORY_OFFSET, memory ? 1 : 0);
        return this;
    }

    long retValue() {
        return (long) LONG.get(bytes, RET_VALUE_OFFSET);
    }

    /** A RET carrying {@code value}. */
    ProxyMessage ret(long value) {
        header(RET, RET_DATA);
        LONG.set(bytes, RET_VALUE_OFFSET, value);
        return this;
    }
}
