package dev.passthru.xen;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Domains by the name xl gave them, as xenstore holds it ({@code /local/domain/ID/name}): what {@code xl domid} looks up. */
public final class XenDomainNames {

    private XenDomainNames() {
    }

    /** The ids of the domains named {@code name}: one, none, or (while one is being destroyed) two. */
    public static List<Integer> find(XenStore store, String name) {
        List<Integer> found = new ArrayList<>();
        for (String id : store.directory("/local/domain")) {
            Optional<String> named = store.read("/local/domain/" + id + "/name");
            if (named.isPresent() && named.get().equals(name)) {
                try {
                    found.add(Integer.parseInt(id));
                } catch (NumberFormatException e) {
                    // not a domain's folder
                }
            }
        }
        return found;
    }
}
