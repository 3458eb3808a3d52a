package dev.passthru.device;

import java.util.Base64;

/**
 * What a device model shows the guest of one function, kept so that a restarted device model
 * can show the same: the virtual copy of the config space and the MSI-X table as the guest
 * programmed them (empty for a function without MSI-X), in base64 so that the image is plain
 * JSON. Everything else is the host's, read from the host, or the hypervisor's.
 */
public record DeviceImage(String config, String msixTable) {

    static DeviceImage of(byte[] config, byte[] msixTable) {
        return new DeviceImage(Base64.getEncoder().encodeToString(config), Base64.getEncoder().encodeToString(msixTable));
    }

    byte[] configBytes() {
        return Base64.getDecoder().decode(config);
    }

    byte[] msixTableBytes() {
        return Base64.getDecoder().decode(msixTable);
    }
}
