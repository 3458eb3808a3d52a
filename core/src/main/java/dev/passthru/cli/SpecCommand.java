package dev.passthru.cli;

import dev.passthru.InputError;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecParser;
import dev.passthru.spec.SpecSyntax;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.TypeConversionException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code passthru spec}: check assignment specs and print their canonical form. */
final class SpecCommand implements Callable<Integer> {

    private CommandSpec command;

    static CommandSpec spec() {
        SpecCommand check = new SpecCommand();
        CommandSpec spec = Specs.command(check, "spec",
                "Parse PCI assignment specs and print each one's canonical form, one per line.",
                "Takes xl's PCI_SPEC_STRING ([DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...], BB:DD.* for every "
                        + "function; keys bdf, vslot, permissive, msitranslate, seize, power_mgmt, rdm_policy) "
                        + "and the seed device model's list (seg:bus:dev.func[@slot] joined by '-').");
        spec.addOption(OptionSpec.builder("--syntax").type(SpecSyntax.class).converters(new SyntaxConverter())
                .paramLabel("xl|dm|auto")
                .description("Which form the specs are in (default: auto): xl, the seed's device-model "
                        + "list (dm), or auto (a text with ',', '=' or '*' is xl, one with '-' is a list).")
                .build());
        spec.addOption(Specs.flag("--json", "Print one JSON document for tooling."));
        spec.addPositional(PositionalParamSpec.builder().index("0..*").arity("1..*").type(List.class)
                .auxiliaryTypes(String.class).paramLabel("SPEC").description("Specs to check.").build());
        Specs.footer(spec, "Examples:",
                "  passthru spec 03:00.0@6,permissive=1",
                "  passthru spec --json '0000:04:00.*,seize=1' 0000:03:00.0-0000:05:00.1",
                "", "Exit status: 0 all specs parsed, 2 some did not (one line each on stderr).");
        check.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        SpecSyntax syntax = args.value("--syntax", SpecSyntax.AUTO);
        List<Map<String, Object>> parsed = new ArrayList<>();
        List<String> canonical = new ArrayList<>();
        int bad = 0;
        for (String input : args.positionals(0)) {
            try {
                for (AssignmentSpec spec : SpecParser.parse(input, syntax)) {
                    canonical.add(spec.canonical());
                    parsed.add(describe(input, spec));
                }
            } catch (InputError e) {
                command.commandLine().getErr().println("passthru: bad PCI spec " + e.getMessage());
                bad++;
            }
        }
        var out = command.commandLine().getOut();
        if (args.flag("--json")) {
            out.println(Json.write(parsed));
        } else {
            canonical.forEach(out::println);
        }
        return bad == 0 ? ExitCodes.OK : ExitCodes.BAD_INPUT;
    }

    private static Map<String, Object> describe(String input, AssignmentSpec spec) {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("permissive", spec.options().effectivePermissive());
        options.put("msitranslate", spec.options().effectiveMsitranslate());
        options.put("seize", spec.options().effectiveSeize());
        options.put("power_mgmt", spec.options().effectivePowerMgmt());
        options.put("rdm_policy", spec.options().effectiveRdmPolicy().keyword());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("input", input);
        out.put("canonical", spec.canonical());
        out.put("address", spec.address().toString());
        out.put("allFunctions", spec.allFunctions());
        out.put("vslot", spec.autoSlot() ? null : spec.vslot());
        out.put("options", options);
        out.put("given", spec.options().given().stream().map(s -> s.substring(0, s.indexOf('='))).toList());
        return out;
    }

    /** Maps xl, dm and auto to a syntax; anything else is a usage error. */
    static final class SyntaxConverter implements ITypeConverter<SpecSyntax> {
        @Override
        public SpecSyntax convert(String value) {
            return switch (value) {
                case "xl" -> SpecSyntax.XL;
                case "dm" -> SpecSyntax.DEVICE_MODEL;
                case "auto" -> SpecSyntax.AUTO;
                default -> throw new TypeConversionException(
                        "expected xl, dm or auto, found '" + value + "'");
            };
        }
    }
}
