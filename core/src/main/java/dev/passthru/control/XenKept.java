package dev.passthru.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.InputError;
import dev.passthru.device.DeviceImage;
import dev.passthru.xen.XenHypervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the Xen daemon keeps of one domain it serves, so that a daemon started after it died can
 * take the domain over: the domain, the ioreq server it made there, each pci-attach (as written,
 * with the slot it got and the image each of its functions shows the guest), and what it made
 * Xen hold for the domain. One file per domain, replaced whole on every change: a request and
 * the device state it brought can never disagree, as a journal beside a separate state file
 * could after a kill between their two writes.
 *
 * @param attaches in the order they were made
 */
record XenKept(int domain, String name, int server, List<Attach> attaches, XenHypervisor.Held held) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final String PREFIX = "xen-domain-";

    /** One pci-attach: the spec as the user wrote it, the slot it got, and its functions' images by host address. */
    record Attach(String spec, int slot, Map<String, DeviceImage> images) {
    }

    static Path file(Path stateDir, int domain) {
        return stateDir.resolve(PREFIX + domain + ".json");
    }

    /**
     * Writes the file in place of the old one. Renamed into place but not forced to disk: it is
     * written on guest config writes, in the guest's vCPU's time, and it is for the daemon's own
     * death (the page cache outlives a killed process); a host crash takes the domains with it.
     */
    void keep(Path stateDir) {
        Path file = file(stateDir, domain);
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try {
            Files.write(partial, JSON.writeValueAsBytes(this));
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("what is kept of a domain is always JSON", e);
        } catch (IOException e) {
            throw new StateFolderError(file, "write", e);
        }
    }

    static void drop(Path stateDir, int domain) {
        try {
            Files.deleteIfExists(file(stateDir, domain));
        } catch (IOException e) {
            throw new StateFolderError(file(stateDir, domain), "remove", e);
        }
    }

    /**
     * Every domain kept in {@code stateDir}, by file order.
     *
     * @throws InputError naming the file, for one that is not what this class writes
     */
    static List<XenKept> all(Path stateDir) {
        if (!Files.isDirectory(stateDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(stateDir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(PREFIX) && f.toString().endsWith(".json"))
                    .sorted().map(XenKept::read).toList();
        } catch (IOException e) {
            throw new StateFolderError(stateDir, "list", e);
        }
    }

    private static XenKept read(Path file) {
        try {
            return JSON.readValue(file.toFile(), XenKept.class);
        } catch (JsonProcessingException e) {
            throw new InputError(file + ": not a kept Xen domain (" + e.getOriginalMessage() + "); move it away to start without it");
        } catch (IOException e) {
            throw new StateFolderError(file, "read", e);
        }
    }
}
