package dev.passthru.os;

/** The unix sockets contract on the in-memory fake. */
class FakeUnixSocketsContractTest extends UnixSocketsContract {

    private final FakeUnixSockets sockets = new FakeUnixSockets();

    @Override
    protected UnixSockets sockets() {
        return sockets;
    }
}
