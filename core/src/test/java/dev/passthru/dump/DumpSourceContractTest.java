package dev.passthru.dump;

import dev.passthru.Fixtures;
import dev.passthru.host.ContractSources;
import dev.passthru.host.HostSource;
import dev.passthru.host.HostSourceContract;
import dev.passthru.host.Origin;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * The host source contract on lspci dumps of real hardware: a whole board (bridges, I/O BARs,
 * no sizes), virtio functions (sizes from -v lines, MSI-X) and a partial recording of 96 bytes.
 */
class DumpSourceContractTest {

    abstract static class DumpContract extends HostSourceContract {
        @TempDir
        Path profiles;

        DumpContract() {
            super(Origin.DUMP, ConfigWrites.HARDWARE);
        }

        abstract String file();

        @Override
        protected HostSource source() {
            return new DumpSource(Fixtures.dump(file()));
        }

        @Override
        protected Twin twin() {
            return new Twin(ContractSources.profilesOf(source(), profiles), true);
        }
    }

    @Nested
    class WholeBoard extends DumpContract {
        @Override
        String file() {
            return "tree-asus-p6t6.txt";
        }
    }

    @Nested
    class VirtioFunctions extends DumpContract {
        @Override
        String file() {
            return "cap-vendor-virtio.txt";
        }
    }

    @Nested
    class PartialHeader extends DumpContract {
        @Override
        String file() {
            return "h100-header-partial.txt";
        }
    }
}
