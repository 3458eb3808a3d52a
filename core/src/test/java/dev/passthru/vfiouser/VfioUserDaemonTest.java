package dev.passthru.vfiouser;

import dev.passthru.control.ControlPlane;
import dev.passthru.control.Request;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon with a VM whose guest is a vfio-user VMM ({@code passthru_guest = "vfio-user:DIR"}):
 * pci-attach puts the function's socket in the folder, a client reaches the function through
 * it, pci-detach and destroy take the socket away.
 */
class VfioUserDaemonTest {

    private static final String NIC = "0000:01:00.0";

    @TempDir
    Path dir;

    @Test
    void pci_attach_serves_the_function_on_a_socket_in_the_vms_folder_and_pci_detach_takes_it_away() throws Exception {
        Path config = dir.resolve("vmm.cfg");
        Files.writeString(config, """
                name = "vmm"
                memory = 1024
                pci_seize = 1
                passthru_sources = [ 'dump:%s' ]
                passthru_guest = "vfio-user:sockets"
                """.formatted(Path.of("../examples/dumps/intel-82576-nic.txt").toAbsolutePath()));
        Path socket = dir.resolve("sockets").resolve(NIC + ".sock");
        UnixSockets sockets = new ForeignUnixSockets();
        try (ControlPlane plane = ControlPlane.open(dir.resolve("state"))) {
            plane.handle(new Request.Create(config));
            assertThat(socket).doesNotExist();
            plane.handle(new Request.PciAttach("vmm", SpecParser.parseXl(NIC + "@6"), NIC + "@6"));
            assertThat(Files.exists(socket)).as("the socket, named after the host function, in the config's folder").isTrue();
            try (SpecClient client = new SpecClient(sockets, socket.toString())) {
                assertThat(client.version(null).isError()).isFalse();
                assertThat(client.read(7, 0, 4)).as("the 82576's identity through the device model").isEqualTo(0x10c98086L);
                client.write(7, 0x10, 4, 0xfeb0_0000L);
                client.write(7, 4, 2, 0x2);
                assertThat(client.read(7, 0x10, 4)).isEqualTo(0xfeb0_0000L);
            }
            assertThat(plane.handle(new Request.PciList("vmm")).toString()).contains(NIC);
            plane.handle(new Request.PciDetach("vmm", PciAddress.parse(NIC)));
            assertThat(socket).doesNotExist();
            plane.handle(new Request.PciAttach("vmm", SpecParser.parseXl(NIC), NIC));
            assertThat(Files.exists(socket)).isTrue();
            plane.handle(new Request.Destroy("vmm"));
            assertThat(socket).as("destroy detaches every function").doesNotExist();
        }
    }
}
