package dev.passthru.cli;

import dev.passthru.config.Effect;
import dev.passthru.host.Sizes;

import java.util.List;
import java.util.stream.Collectors;

/** Effects in words, with addresses in hex, for people. */
final class EffectText {

    private EffectText() {
    }

    static String describe(List<Effect> effects) {
        return effects.isEmpty() ? "no effect" : effects.stream().map(EffectText::describe).collect(Collectors.joining("; "));
    }

    static String describe(Effect effect) {
        return switch (effect) {
            case Effect.BarMoved m -> String.format("BAR %d (%s, %s) %s 0x%x", m.bar(), m.kind().description(),
                    Sizes.format(m.size()), m.placed() ? "placed at" : "holds unusable address", m.address());
            case Effect.RomChanged r -> String.format("ROM %s at 0x%x%s", r.enabled() ? "enabled" : "disabled",
                    r.address(), r.placed() ? "" : " (unusable address)");
            case Effect.DecodeChanged d -> "memory decode " + onOff(d.memory()) + ", I/O decode " + onOff(d.io());
            case Effect.IntxChanged i -> "INTx " + (i.disabled() ? "disabled" : "enabled");
            case Effect.MsiChanged m -> String.format("MSI %s, %d vector%s, address 0x%x, data 0x%04x, mask 0x%x",
                    m.enabled() ? "enabled" : "disabled", m.vectors(), m.vectors() == 1 ? "" : "s",
                    m.address(), m.data(), m.maskBits());
            case Effect.MsixChanged m -> "MSI-X " + (m.enabled() ? "enabled" : "disabled")
                    + (m.functionMasked() ? ", function masked" : "");
            case Effect.ResetRequested r -> "function-level reset requested";
            case Effect.PowerStateWritten p -> "power state D" + p.state() + " written to the host";
        };
    }

    private static String onOff(boolean on) {
        return on ? "on" : "off";
    }
}
