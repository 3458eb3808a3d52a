package dev.passthru.xen;

import java.util.List;

/**
 * The contract of {@link XenStore} on {@link ForeignXenStore} against dom0's own xenstored, for
 * XenGuestTest's dom0 scenario, which runs it beside {@link RealXenControlContract}:
 * what the stand-in does is then known to be what xenstored does. Each case gets a connection
 * of its own, below a base path nothing else in dom0 uses.
 */
public final class RealXenStoreContract extends XenStoreContract {

    /** Printed, one per line, with "PT-XENSTORE pass " or "PT-XENSTORE fail " before it; EduOnXen expects these. */
    static final List<String> APPLICABLE = List.of("a_node_never_written_reads_as_absent_and_has_no_children",
            "a_write_reads_back_and_makes_its_parents_with_empty_values",
            "removing_takes_the_whole_subtree_and_removing_what_is_not_there_is_no_error",
            "a_watch_fires_once_when_set_then_for_each_change_at_or_below_its_path_and_not_after_it_is_taken_back",
            "removing_a_parent_fires_a_watch_below_it_with_the_watched_path", "a_watch_on_release_domain_fires_once_when_set",
            "a_path_and_token_are_watched_once_and_only_a_watch_set_is_taken_back", "a_path_xenstore_does_not_allow_is_refused");

    private RealXenStoreContract(XenStore store) {
        super(store, "/local/domain/0/passthru-contract");
    }

    /** No arguments: it needs only a running xenstored. */
    public static void main(String[] args) {
        Dom0Cases.run("PT-XENSTORE", XenStoreContract.class, APPLICABLE, test -> {
            try (ForeignXenStore store = new ForeignXenStore()) {
                test.invoke(new RealXenStoreContract(store));
            }
        });
    }
}
