package dev.passthru.config;

import dev.passthru.host.HostConfig;
import dev.passthru.host.MemoryHostConfig;

import java.util.ArrayList;
import java.util.List;

/** A host function in memory that keeps a list of the writes that reached it. */
final class RecordingHost implements HostConfig {

    record Write(int offset, int width, int value) {
        @Override
        public String toString() {
            return String.format("%03x/%d=%x", offset, width, value);
        }
    }

    final MemoryHostConfig memory;
    final List<Write> writes = new ArrayList<>();

    RecordingHost(byte[] config) {
        this.memory = MemoryHostConfig.of(config);
    }

    @Override
    public int size() {
        return memory.size();
    }

    @Override
    public int readable() {
        return memory.readable();
    }

    @Override
    public int read(int offset, int width) {
        return memory.read(offset, width);
    }

    @Override
    public void write(int offset, int width, int value) {
        writes.add(new Write(offset, width, value));
        memory.write(offset, width, value);
    }

    byte[] bytes() {
        return memory.snapshot();
    }
}
