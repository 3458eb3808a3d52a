package dev.passthru.bus;

import java.util.List;

/**
 * What the built-in guest found and did for one function.
 *
 * @param device       slot on bus 0
 * @param function     function number
 * @param bars         BARs and ROM as sized, with the addresses given
 * @param capabilities the capability list as walked: "[70] MSI-X", ...
 * @param interrupts   what the driver turned on: "MSI-X, 4 vectors (0x30-0x33)", "MSI, 1 vector", "INTx"
 * @param barAccess    the driver's access to a BAR register, or empty when it had none to touch
 * @param notes        what could not be done (a window full, ...)
 */
public record EnumeratedFunction(int device, int function, List<SizedBar> bars, List<String> capabilities,
                                 String interrupts, String barAccess, List<String> notes) {
}
