package dev.passthru.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.passthru.control.ControlClient;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * A command that is one request to the daemon: {@code list}, {@code create}, {@code destroy},
 * {@code pci-attach}, {@code pci-detach}, {@code pci-list}, {@code pci-assignable-add} and
 * {@code pci-assignable-remove}. Its positional parameters become the request's fields; the
 * reply is printed in xl's layout, or as JSON with {@code --json}.
 */
final class DaemonRequestCommand implements Callable<Integer> {

    /** A positional parameter: its label, the request field it fills, its description. */
    record Parameter(String label, String field, String description) {
    }

    private final String request;
    private final List<Parameter> parameters;
    private final Function<JsonNode, String> text;
    private CommandSpec command;

    private DaemonRequestCommand(String request, List<Parameter> parameters, Function<JsonNode, String> text) {
        this.request = request;
        this.parameters = parameters;
        this.text = text;
    }

    static CommandSpec spec(String name, String request, String description, List<Parameter> parameters,
                            Function<JsonNode, String> text) {
        DaemonRequestCommand daemon = new DaemonRequestCommand(request, parameters, text);
        CommandSpec spec = Specs.command(daemon, name, description);
        for (int i = 0; i < parameters.size(); i++) {
            spec.addPositional(Specs.positional(i, parameters.get(i).label(), parameters.get(i).description()));
        }
        DaemonOptions.addTo(spec);
        spec.addOption(Specs.flag("--json", "Print the daemon's reply as JSON for tooling."));
        Specs.footer(spec, "The daemon is found at --socket, $PASSTHRU_SOCKET or " + ControlClient.DEFAULT_SOCKET + ".",
                "", "Exit status: 0 done, 1 the daemon could not do it, 2 bad input or no daemon.");
        daemon.command = spec;
        return spec;
    }

    @Override
    public Integer call() {
        Args args = Args.of(command);
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            fields.put(parameters.get(i).field(), parameters.get(i).field().equals("config")
                    ? Path.of(args.positional(i)).toAbsolutePath().toString() : args.positional(i));
        }
        JsonNode reply;
        try (ControlClient client = ControlClient.connect(DaemonOptions.socket(args))) {
            reply = client.request(request, fields);
        }
        if (!reply.path("ok").asBoolean()) {
            JsonNode error = reply.path("error");
            command.commandLine().getErr().println("passthru: " + error.path("message").asText());
            String code = error.path("code").asText();
            return code.equals("attach-failed") || code.equals("detach-failed") || code.equals("state-folder") || code.equals("internal")
                    ? ExitCodes.FAILED : ExitCodes.BAD_INPUT;
        }
        command.commandLine().getOut().print(Args.of(command).flag("--json")
                ? Json.write(reply.get("result")) + "\n" : text.apply(reply.get("result")));
        return ExitCodes.OK;
    }

    /** {@code passthru list}: xl list's columns that apply (the state where the hypervisor is a real one). */
    static String vms(JsonNode list) {
        boolean states = list.size() > 0 && list.get(0).has("state");
        StringBuilder out = new StringBuilder(String.format("%-32s %5s %9s%s%n", "Name", "ID", "Functions", states ? " State" : ""));
        list.forEach(vm -> out.append(String.format("%-32s %5d %9d%s%n", vm.path("name").asText(), vm.path("domain").asInt(),
                vm.path("functions").asInt(), states ? " " + vm.path("state").asText() : "")));
        return out.toString();
    }

    /** One VM, as {@code list} shows each. */
    static String vms1(JsonNode vm) {
        return vms(JsonNodeFactory.instance.arrayNode().add(vm));
    }

    /** {@code passthru pci-list VM}: as xl pci-list prints it. */
    static String functions(JsonNode list) {
        StringBuilder out = new StringBuilder("Vdev Device\n");
        list.forEach(f -> out.append(String.format("%02x.%x %s%n", f.path("slot").asInt(),
                Integer.parseInt(f.path("guest").asText().substring(11)), f.path("host").asText())));
        return out.toString();
    }

    /** One function a line. */
    static String addresses(JsonNode list) {
        StringBuilder out = new StringBuilder();
        list.forEach(a -> out.append(a.asText()).append('\n'));
        return out.toString();
    }
}
