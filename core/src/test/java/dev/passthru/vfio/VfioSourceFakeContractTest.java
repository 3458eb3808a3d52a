package dev.passthru.vfio;

import dev.passthru.host.HostSource;
import dev.passthru.host.HostSourceContract;
import dev.passthru.host.Origin;
import dev.passthru.host.sysfs.SysfsSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host source contract on VFIO over the in-memory kernel, with the sysfs tree that shows its function. */
class VfioSourceFakeContractTest extends HostSourceContract {

    @TempDir
    Path sysfs;

    private final FakeVfio kernel = new FakeVfio();

    VfioSourceFakeContractTest() {
        super(Origin.SYSFS, ConfigWrites.HARDWARE);
    }

    private Path tree() {
        if (!Files.isDirectory(sysfs.resolve("devices"))) {
            try {
                kernel.writeSysfs(sysfs);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sysfs;
    }

    @Override
    protected HostSource source() {
        return new VfioSource(tree(), kernel);
    }

    @Override
    protected Twin twin() {
        return new Twin(new SysfsSource(tree(), false), false);
    }
}
