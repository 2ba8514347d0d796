package dev.sttbench.gateway;

import com.github.cliftonlabs.json_simple.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A JDK WebSocket session streaming reference frames at 50/s, and checks on what comes back. */
public final class Stream implements AutoCloseable
{
    public static final Set<String> ERROR_KEYS = Set.of("type", "stage", "kind", "message", "oldest_frame_seq",
        "newest_frame_seq", "frames", "audio_bytes", "oldest_age_ms", "newest_age_ms", "flush_lateness_ms",
        "inference_elapsed_ms", "inflight_gateway_batches", "gateway_buffer_frames", "inference_status",
        "retryable");

    public final Harness.JdkClient client;
    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong sent = new AtomicLong();
    private final long sessionId;
    private long expectedOldest = 1;

    public Stream(final int port, final long sessionId)
    {
        this.sessionId = sessionId;
        client = new Harness.JdkClient(port);
        client.start();
        sender.scheduleAtFixedRate(() -> client.sendFrame(Pcm.frame(sessionId, sent.incrementAndGet())),
            0, 20, TimeUnit.MILLISECONDS);
    }

    public long framesSent()
    {
        return sent.get();
    }

    public void stopSending()
    {
        sender.shutdown();
        try
        {
            sender.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The next partial or error, checked: its seq range starts right after the previous message's, partials
     * carry the stub's values for exactly those frames, errors have exactly the §1 keys.
     */
    public JsonObject next(final long timeoutMs) throws InterruptedException
    {
        final String text = client.next(timeoutMs).text();
        final JsonObject message = Harness.json(text);
        final long oldest = Harness.longOf(message, "oldest_frame_seq");
        final long newest = Harness.longOf(message, "newest_frame_seq");
        assertEquals(expectedOldest, oldest, "seq ranges must be contiguous: " + text);
        assertEquals(newest - oldest + 1, Harness.longOf(message, "frames"), text);
        assertEquals((newest - oldest + 1) * Pcm.FRAME_BYTES, Harness.longOf(message, "audio_bytes"), text);
        if ("partial".equals(message.get("type")))
        {
            assertEquals(Pcm.stub(Pcm.frames(sessionId, oldest, newest), 4).checksum(),
                Harness.longOf(message, "checksum"), text);
        }
        else
        {
            assertEquals("error", message.get("type"), text);
            assertEquals(ERROR_KEYS, message.keySet(), text);
        }
        expectedOldest = newest + 1;
        return message;
    }

    /** Messages until one of type {@code type} with kind {@code kind} (null: any partial). */
    public List<JsonObject> until(final String kind, final long timeoutMs) throws InterruptedException
    {
        final List<JsonObject> seen = new ArrayList<>();
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true)
        {
            final JsonObject message = next(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            seen.add(message);
            if (null == kind ? "partial".equals(message.get("type")) : kind.equals(message.get("kind")))
            {
                return seen;
            }
        }
    }

    public void close()
    {
        stopSending();
        client.close();
    }
}
