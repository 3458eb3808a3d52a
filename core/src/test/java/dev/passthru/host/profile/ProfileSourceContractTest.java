package dev.passthru.host.profile;

import dev.passthru.Fixtures;
import dev.passthru.host.ContractSources;
import dev.passthru.host.HostSource;
import dev.passthru.host.HostSourceContract;
import dev.passthru.host.Origin;
import dev.passthru.host.sysfs.SysfsSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/** The host source contract on a folder of profiles recorded from the sysfs fixture. */
class ProfileSourceContractTest extends HostSourceContract {

    @TempDir
    Path dir;

    ProfileSourceContractTest() {
        super(Origin.PROFILE, ConfigWrites.HARDWARE);
    }

    private HostSource recorded() {
        return new SysfsSource(Fixtures.sysfs(), false);
    }

    @Override
    protected HostSource source() {
        if (!Files.exists(dir.resolve("0000_00_00.0.json"))) {
            ContractSources.profilesOf(recorded(), dir);
        }
        return new ProfileSource(dir);
    }

    @Override
    protected Twin twin() {
        return new Twin(recorded(), true);
    }
}
