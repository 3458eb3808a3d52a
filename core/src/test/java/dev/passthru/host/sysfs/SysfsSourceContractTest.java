package dev.passthru.host.sysfs;

import dev.passthru.Fixtures;
import dev.passthru.host.ContractSources;
import dev.passthru.host.HostSource;
import dev.passthru.host.HostSourceContract;
import dev.passthru.host.Origin;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The host source contract on sysfs: the recorded tree, a copy of it with writes on, and this machine's own tree. */
class SysfsSourceContractTest {

    /** A tree read without writes enabled, beside profiles written from it. */
    abstract static class ReadOnlyTree extends HostSourceContract {
        @TempDir
        Path profiles;

        ReadOnlyTree() {
            super(Origin.SYSFS, ConfigWrites.DROPPED);
        }

        abstract Path root();

        @Override
        protected HostSource source() {
            return new SysfsSource(root(), false);
        }

        @Override
        protected Twin twin() {
            return new Twin(ContractSources.profilesOf(source(), profiles), true);
        }
    }

    @Nested
    class RecordedTree extends ReadOnlyTree {
        @Override
        Path root() {
            return Fixtures.sysfs();
        }
    }

    /** This machine's PCI tree: nothing is written to its devices. */
    @Nested
    class LiveHost extends ReadOnlyTree {
        @Override
        Path root() {
            assumeTrue(Files.isDirectory(SysfsSource.DEFAULT_ROOT.resolve("devices")),
                    "SKIPPED: this machine has no " + SysfsSource.DEFAULT_ROOT + "/devices");
            return SysfsSource.DEFAULT_ROOT;
        }
    }

    /** Config writes enabled on a copy of the recorded tree: they reach its config files. */
    @Nested
    class WritableCopy extends HostSourceContract {
        @TempDir
        Path copy;

        WritableCopy() {
            super(Origin.SYSFS, ConfigWrites.STORED);
        }

        @Override
        protected HostSource source() {
            if (!Files.isDirectory(copy.resolve("devices"))) {
                ContractSources.copy(Fixtures.sysfs(), copy);
            }
            return new SysfsSource(copy, true);
        }

        @Override
        protected Twin twin() {
            return new Twin(new SysfsSource(Fixtures.sysfs(), false), true);
        }
    }
}
