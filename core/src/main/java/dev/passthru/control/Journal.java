package dev.passthru.control;

import dev.passthru.InputError;

import java.util.Objects;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's append-only log of changes: one record a line, in {@link JournalCodec}'s form,
 * forced to disk before the change is acknowledged. A crash can tear only the last record (an
 * incomplete line, or a last line whose checksum does not match): reading drops it and says
 * so, and opening for appending cuts the file back to the last good record. A bad record with
 * records after it is no torn write but damage, and everything after it would be replayed on a
 * false base: reading stops there with one line naming the byte offset.
 */
final class Journal implements AutoCloseable {

    /** A record and the byte offset of its line, for naming it when its replay fails. */
    record Entry(long offset, JournalRecord record) {
    }

    /** What reading found: the good records, and whether a torn tail was dropped. */
    record Contents(List<Entry> records, boolean tornTail, long goodBytes) {
    }

    private final Path file;
    private final FileChannel channel;

    private Journal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * @throws InputError for a corrupt record before the last, naming its offset
     * @throws StateFolderError when the file cannot be read
     */
    static Contents read(Path file) {
        if (!Files.exists(file)) {
            return new Contents(List.of(), false, 0);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new StateFolderError(file, "read the journal", e);
        }
        List<Entry> records = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int end = at;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            if (end == bytes.length) {
                return new Contents(records, true, at);
            }
            boolean last = end + 1 == bytes.length;
            String json = JournalCodec.verified(new String(bytes, at, end - at, StandardCharsets.UTF_8));
            if (json == null && last) {
                return new Contents(records, true, at);
            }
            if (json == null) {
                throw corrupt(file, at, "its checksum does not match", bytes.length - end - 1);
            }
            try {
                records.add(new Entry(at, JournalCodec.decode(json)));
            } catch (JournalCodec.BadRecord e) {
                throw corrupt(file, at, String.valueOf(e.getMessage()), bytes.length - end - 1);
            }
            at = end + 1;
        }
        return new Contents(records, false, at);
    }

    private static InputError corrupt(Path file, long offset, String why, int after) {
        return new InputError(file + ": the record at byte " + offset + " is corrupt (" + why + ")"
                + (after > 0 ? " and " + after + " byte(s) of records follow it" : "")
                + "; a crash tears only the last record, so this is damage: repair the file or move it aside to start");
    }

    /** Opens for appending after {@code goodBytes}, cutting off anything past them. */
    static Journal append(Path file, long goodBytes) {
        boolean created = !Files.exists(file);
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel.truncate(goodBytes);
            channel.position(goodBytes);
            channel.force(true);
            if (created) {
                StateFolder.sync(Objects.requireNonNull(file.getParent(), "the journal lies in the state folder"));
            }
            return new Journal(file, channel);
        } catch (IOException e) {
            throw new StateFolderError(file, "open the journal for appending", e);
        }
    }

    /**
     * Writes a record and forces it to disk.
     *
     * @throws StateFolderError when it cannot; the file may then end in part of the record
     */
    synchronized void write(JournalRecord record) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(JournalCodec.encode(record));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            throw new StateFolderError(file, "write the journal", e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new StateFolderError(file, "close the journal", e);
        }
    }
}
