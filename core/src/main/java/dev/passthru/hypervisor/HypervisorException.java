package dev.passthru.hypervisor;

/**
 * A hypervisor call that could not be done: which operation, with which arguments, and why.
 * The call changed nothing.
 */
public final class HypervisorException extends RuntimeException {

    private final String operation;
    private final String arguments;
    private final String reason;

    public HypervisorException(String operation, String arguments, String reason) {
        super(operation + "(" + arguments + "): " + reason);
        this.operation = operation;
        this.arguments = arguments;
        this.reason = reason;
    }

    public String operation() {
        return operation;
    }

    public String arguments() {
        return arguments;
    }

    public String reason() {
        return reason;
    }
}
