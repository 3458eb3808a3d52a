package dev.passthru.vm;

import dev.passthru.InputError;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VmConfigReaderTest {

    private static VmConfig parse(String text) {
        return VmConfigReader.parse("vm.cfg", Path.of("/vms"), text);
    }

    private static String error(String text) {
        return assertThatThrownBy(() -> parse(text)).isInstanceOf(InputError.class).actual().getMessage();
    }

    @Test
    void reads_the_example_configs() {
        VmConfig workstation = VmConfigReader.read(Path.of("../examples/vms/workstation.cfg"));
        assertThat(workstation.name()).isEqualTo("workstation");
        assertThat(workstation.memoryMib()).isEqualTo(8192);
        assertThat(workstation.pci()).extracting(VmConfig.Spec::text)
                .containsExactly("09:00.0@6", "62:00.0,permissive=1", "00:1a.*", "05:00.0");
        assertThat(workstation.pci().getFirst().spec().vslot()).isEqualTo(6);
        assertThat(workstation.ignored()).containsExactly("vcpus");
        assertThat(workstation.sources()).extracting(HostSourceSpec::kind)
                .containsExactly(HostSourceSpec.Kind.PROFILES, HostSourceSpec.Kind.PROFILES);
        assertThat(workstation.sources().getFirst().path()).isEqualTo(
                Path.of("../examples/profiles/workstation").toAbsolutePath().normalize());
        assertThat(VmConfigReader.read(Path.of("../examples/vms/firecracker.cfg")).defaults().seize()).isTrue();
    }

    @Test
    void reads_xl_syntax_comments_quotes_lists_over_lines_and_semicolons() {
        VmConfig config = parse("""
                # a comment
                name = 'web' ; memory = 0x800
                pci = [ "03:00.0@6,permissive=1",   # first
                        '04:00.*,seize=1',
                      ]
                pci_permissive = 1
                passthru_hotplug_slots = "4-8"
                passthru_sources = [ 'dump:../dumps/x.txt', 'sysfs:/sys/bus/pci' ]
                """);
        assertThat(config.name()).isEqualTo("web");
        assertThat(config.memoryMib()).isEqualTo(2048);
        assertThat(config.pci()).extracting(VmConfig.Spec::line).containsExactly(3, 4);
        assertThat(config.pci().get(1).spec().allFunctions()).isTrue();
        assertThat(config.defaults().permissive()).isTrue();
        assertThat(config.firstHotplug()).isEqualTo(4);
        assertThat(config.lastHotplug()).isEqualTo(8);
        assertThat(config.sources().getFirst().path()).isEqualTo(Path.of("/dumps/x.txt"));
    }

    @Test
    void the_specs_own_options_win_over_the_vms_defaults() {
        VmConfig config = parse("pci = [ '03:00.0,seize=0', '04:00.0' ]\npci_seize = 1\n");
        assertThat(Vm.merged(config.pci().get(0).spec().options(), config.defaults()).effectiveSeize()).isFalse();
        assertThat(Vm.merged(config.pci().get(1).spec().options(), config.defaults()).effectiveSeize()).isTrue();
    }

    @Test
    void each_mistake_is_one_line_with_the_file_and_line() {
        assertThat(error("name = 'a'\nmemroy = 512\n")).startsWith("vm.cfg:2: unknown setting 'memroy' (passthru reads name, memory, pci,");
        assertThat(error("memory = '512'\n")).isEqualTo("vm.cfg:1: memory: expected a number of MiB from 16 to 16777216, found the string \"512\"");
        assertThat(error("\n\npci = [ '03:00.0,permisive=1' ]\n"))
                .isEqualTo("vm.cfg:3: pci: bad PCI spec \"03:00.0,permisive=1\", column 9: expected a known option (bdf, vslot, "
                        + "permissive, msitranslate, seize, power_mgmt or rdm_policy), found 'p'");
        assertThat(error("name = \"web\nmemory = 2\n")).isEqualTo("vm.cfg:1: expected a closing \" on the same line, found '\"web'");
        assertThat(error("pci = [ '03:00.0' '04:00.0' ]\n")).isEqualTo("vm.cfg:1: expected ',' or ']' in the list, found ''04:00.0' ]'");
        assertThat(error("pci = [ 3 ]\n")).isEqualTo("vm.cfg:1: pci: expected a spec string such as '03:00.0@6,permissive=1', found the number 3");
        assertThat(error("passthru_sources = [ 'disk:/x' ]\n"))
                .isEqualTo("vm.cfg:1: passthru_sources: expected 'sysfs:DIR', 'profiles:DIR', 'dump:FILE' or 'vfio:DIR', found the string \"disk:/x\"");
        assertThat(error("passthru_hypervisor = \"kvm\"\n"))
                .isEqualTo("vm.cfg:1: passthru_hypervisor: expected \"simulated\" or \"xen\", found \"kvm\"");
        assertThat(parse("passthru_hypervisor = \"xen\"\n").hypervisor()).isEqualTo("xen");
        assertThat(error("passthru_hotplug_slots = \"0-40\"\n")).startsWith("vm.cfg:1: passthru_hotplug_slots: expected a slot range");
        assertThat(error("pci_seize = 2\n")).isEqualTo("vm.cfg:1: pci_seize: expected 0 or 1, found the number 2");
        assertThat(error("memory 512\n")).isEqualTo("vm.cfg:1: expected '=' after memory, found '512'");
        assertThat(error("memory = 512 1024\n")).isEqualTo("vm.cfg:1: expected the end of the line after memory's value, found '1024'");
    }
}
