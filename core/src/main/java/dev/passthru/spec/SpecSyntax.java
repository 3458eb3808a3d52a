package dev.passthru.spec;

/** The two ways users write assignment requests. */
public enum SpecSyntax {
    /**
     * xl/libxl PCI_SPEC_STRING, as in xl.cfg's {@code pci=[...]}:
     * {@code [DDDD:]BB:DD.F[@VSLOT][,KEY=VALUE...]}, {@code BB:DD.*} for every function.
     */
    XL,
    /**
     * The seed device model's list: {@code seg:bus:dev.func} entries joined by {@code -}, each
     * optionally {@code @slot} (hex) as in its hot-plug requests.
     */
    DEVICE_MODEL,
    /**
     * Either: a text with a {@code ,}, {@code =} or {@code *} is xl's form; one with a {@code -}
     * is the seed's list; a single {@code DDDD:BB:DD.F[@SLOT]} means the same in both.
     */
    AUTO
}
