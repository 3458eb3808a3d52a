package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The daemon's append-only log of changes: one record a line, {@code CRC32C-hex JSON}, forced
 * to disk before the change is acknowledged. Reading stops at the first record whose line is
 * incomplete or whose checksum does not match (a write torn by a crash), and opening for
 * appending cuts the file back to the last good record.
 */
final class Journal implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What reading found: the good records, and whether a torn tail was dropped. */
    record Contents(List<JsonNode> records, boolean tornTail, long goodBytes) {
    }

    private final FileChannel channel;

    private Journal(FileChannel channel) {
        this.channel = channel;
    }

    static Contents read(Path file) {
        if (!Files.exists(file)) {
            return new Contents(List.of(), false, 0);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<JsonNode> records = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int end = at;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            if (end == bytes.length) {
                return new Contents(records, true, at);
            }
            JsonNode record = parse(new String(bytes, at, end - at, StandardCharsets.UTF_8));
            if (record == null) {
                return new Contents(records, true, at);
            }
            records.add(record);
            at = end + 1;
        }
        return new Contents(records, false, at);
    }

    /** Opens for appending after {@code goodBytes}, cutting off anything past them. */
    static Journal append(Path file, long goodBytes) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel.truncate(goodBytes);
            channel.position(goodBytes);
            channel.force(true);
            return new Journal(channel);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a record and forces it to disk. */
    synchronized void write(ObjectNode record) {
        byte[] json = record.toString().getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(json);
        String line = HexFormat.of().toHexDigits((int) crc.getValue()) + " " + record + "\n";
        try {
            ByteBuffer buffer = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode record(String op) {
        return JSON.createObjectNode().put("op", op);
    }

    private static JsonNode parse(String line) {
        int space = line.indexOf(' ');
        if (space != 8) {
            return null;
        }
        String json = line.substring(space + 1);
        CRC32C crc = new CRC32C();
        crc.update(json.getBytes(StandardCharsets.UTF_8));
        if (!HexFormat.of().toHexDigits((int) crc.getValue()).equals(line.substring(0, space))) {
            return null;
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
