package dev.passthru.xen;

import dev.passthru.RealPeers;
import dev.passthru.os.NativeCallFailed;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The real libxenstore on a machine that is not a dom0 (this one, and CI's): every function
 * binds, and opening a connection with no xenstored to reach fails with the one error type,
 * naming the call. In dom0 the whole contract runs instead ({@link XenStoreContract}).
 */
class ForeignXenStoreTest {

    @Test
    void without_a_xenstored_opening_fails_naming_xs_open_and_why() {
        RealPeers.xen();
        assumeFalse(Files.exists(Path.of("/dev/xen/xenbus")) || Files.exists(Path.of("/run/xenstored/socket")),
                "SKIPPED: this machine reaches a xenstored; run XenStoreContract on it instead");
        assertThatThrownBy(ForeignXenStore::new).isInstanceOf(NativeCallFailed.class)
                .hasMessageStartingWith("xs_open: ENOENT");
    }
}
