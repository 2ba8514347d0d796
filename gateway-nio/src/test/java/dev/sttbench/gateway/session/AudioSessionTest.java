package dev.sttbench.gateway.session;

import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.gateway.config.GatewayConfig;
import dev.sttbench.gateway.inference.CompletionSink;
import dev.sttbench.gateway.inference.InferenceCaller;
import dev.sttbench.gateway.inference.InferenceExchange;
import dev.sttbench.gateway.inference.InferencePort;
import dev.sttbench.gateway.metrics.LoopMetrics;
import dev.sttbench.gateway.protocol.ErrorKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import static dev.sttbench.gateway.session.AudioSession.BatchState.ABANDONED;
import static dev.sttbench.gateway.session.AudioSession.BatchState.IDLE;
import static dev.sttbench.gateway.session.AudioSession.BatchState.IN_FLIGHT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session's audio rules driven by hand: no socket, no HTTP client, no event loop, a clock set by the test. */
class AudioSessionTest
{
    private static final long MS = 1_000_000L;
    private static final byte[] RESPONSE = ("{\"rms\":1.5,\"zero_crossings\":3,\"checksum\":7,\"samples\":320," +
        "\"transcript\":\"the\",\"audio_bytes\":640}").getBytes(StandardCharsets.US_ASCII);

    /** Records each batch and the body it would have posted; the test completes it. */
    private static final class FakePort implements InferencePort
    {
        final List<byte[]> bodies = new ArrayList<>();
        final List<CompletableFuture<Void>> requests = new ArrayList<>();
        final List<InferenceExchange> exchanges = new ArrayList<>();
        int exchangesCreated;
        int inFlight;

        public InferenceExchange newExchange(final CompletionSink sink, final int bodySlot, final ByteBuffer body)
        {
            exchangesCreated++;
            return new InferenceExchange(bodySlot, body);
        }

        public Future<?> send(final InferenceExchange exchange, final InferenceCaller caller)
        {
            exchange.arm(caller, 0);
            exchanges.add(exchange);
            final ByteBuffer body = exchange.requestBody().duplicate();
            final byte[] bytes = new byte[body.remaining()];
            body.get(bytes);
            bodies.add(bytes);
            final CompletableFuture<Void> request = new CompletableFuture<>();
            requests.add(request);
            inFlight++;
            return request;
        }

        public int inFlight()
        {
            return inFlight;
        }

        public void onCompletionHandled()
        {
            inFlight--;
        }
    }

    private final FakePort port = new FakePort();
    private final List<JsonObject> sent = new ArrayList<>();
    private AudioMemoryBudget audioMemory = new AudioMemoryBudget(AudioMemoryBudget.UNLIMITED);
    private LoopResources loop;
    private AudioSession session;
    private int slot;

    private void open(final String... env)
    {
        final Map<String, String> vars = new java.util.HashMap<>(Map.of("WORKER_THREADS", "1", "MAX_SESSIONS", "2",
            "FLUSH_INTERVAL_MS", "1000", "FLUSH_PHASE_JITTER_MS", "0", "INFERENCE_TIMEOUT_MS", "2000"));
        for (int i = 0; i < env.length; i += 2)
        {
            vars.put(env[i], env[i + 1]);
        }
        final GatewayConfig config = GatewayConfig.fromEnv(vars);
        loop = new LoopResources(config, new LoopMetrics(), port, completion -> { }, new SessionTimers(0),
            new SessionSlots(config, new SessionLimit(config.maxSessions()), audioMemory));
        slot = loop.slots.acquire();
        session = new AudioSession(loop, slot, new AudioSession.Output()
        {
            public void sendText(final int payloadIndex, final int length)
            {
                sent.add((JsonObject)Jsoner.deserialize(loop.scratch.getStringWithoutLengthAscii(payloadIndex, length),
                    new JsonObject()));
            }

            public void abort()
            {
                throw new AssertionError("not expected");
            }
        });
        session.start(0);
    }

    @AfterEach
    void release()
    {
        loop.slots.close();
    }

    /** A frame whose 640 bytes all hold {@code marker}, arriving at {@code ms}; false when it was shed. */
    private boolean frame(final int marker, final long ms)
    {
        final boolean stored = session.beginFrame();
        if (stored)
        {
            for (int i = 0; i < 640; i++)
            {
                session.audio().putByte(session.writeIndex() + i, (byte)marker);
            }
        }
        session.endFrame(ms * MS);
        return stored;
    }

    private void at(final long ms)
    {
        loop.clock.update(ms * MS);
        loop.timers.poll(ms * MS);
    }

    private void flush(final long ms)
    {
        at(ms);
        session.onFlushDue(ms * MS);
    }

    /** The outcome of the latest request, as the HTTP client would fill its exchange. */
    private void answer(final ErrorKind failure)
    {
        final InferenceExchange exchange = port.exchanges.getLast();
        if (null == failure)
        {
            exchange.onResponse(200);
            assertTrue(exchange.appendResponse(ByteBuffer.wrap(RESPONSE)));
            exchange.onBodyComplete(80 * MS);
        }
        else
        {
            exchange.onFailure(failure);
        }
        session.onInferenceCompletion(exchange);
    }

    private static void assertRange(final JsonObject message, final String type, final long oldest, final long newest)
    {
        assertEquals(type, message.get("type"), message.toJson());
        assertEquals(oldest, ((Number)message.get("oldest_frame_seq")).longValue(), message.toJson());
        assertEquals(newest, ((Number)message.get("newest_frame_seq")).longValue(), message.toJson());
        assertEquals(newest - oldest + 1, ((Number)message.get("frames")).longValue(), message.toJson());
    }

    @Test
    void aFlushPostsEveryPendingFrameInOrderAndItsAnswerIsOnePartial()
    {
        open();
        for (int seq = 1; seq <= 30; seq++)
        {
            frame(seq, seq * 20);
        }
        flush(1000);
        assertEquals(IN_FLIGHT, session.batchState());
        assertEquals(1, port.bodies.size());
        final byte[] body = port.bodies.getFirst();
        assertEquals(30 * 640, body.length);
        for (int seq = 1; seq <= 30; seq++)
        {
            assertEquals(seq, body[(seq - 1) * 640], "frame " + seq + " in seq order");
        }
        answer(null);
        assertEquals(IDLE, session.batchState());
        assertEquals(1, sent.size());
        assertRange(sent.getFirst(), "partial", 1, 30);
        assertEquals("the", sent.getFirst().get("transcript"));
        assertEquals(0, loop.slots.audio().inUse(), "a drained ring holds no audio chunk");
        assertEquals(0, loop.inFlightBatches());
        assertEquals(0, port.inFlight);
    }

    /** Issue 11 #4: against a service that never answers, a closed session's request must not be held for good. */
    @Test
    void aClosedSessionsRequestIsCancelledAtItsDeadline()
    {
        open();
        frame(1, 20);
        flush(1000);
        session.close();
        assertEquals(0, loop.slots.inUse(), "the slot comes back at once: the batch lives in its exchange");
        at(2999);
        assertEquals(false, port.requests.getFirst().isCancelled());
        at(3010);
        assertTrue(port.requests.getFirst().isCancelled(), "the deadline cancels a request nobody waits for");
        answer(ErrorKind.CONNECTION_RESET);
        assertEquals(0, sent.size());
        assertEquals(0, loop.inFlightBatches());
    }

    @Test
    void everyBatchReusesTheLoopsIdleExchange()
    {
        open();
        for (int second = 1; second <= 5; second++)
        {
            frame(second, second * 1000L - 500);
            flush(second * 1000L);
            answer(null);
        }
        assertEquals(5, port.exchanges.size());
        assertEquals(1, port.exchangesCreated, "one exchange serves one request at a time");
        assertEquals(5, sent.size());
    }

    @Test
    void exchangesIdleForAWholeTrimPeriodAreDropped()
    {
        open();
        frame(1, 500);
        flush(1000);
        answer(null);
        assertEquals(1, loop.trimExchanges(), "lent during this period: kept");
        assertEquals(1, loop.slots.requestBodies().inUse());
        assertEquals(0, loop.trimExchanges(), "idle for a whole period: dropped");
        assertEquals(0, loop.slots.requestBodies().inUse(), "with its body slot");
        frame(2, 1500);
        flush(2000);
        answer(null);
        assertEquals(2, port.exchangesCreated);
    }

    @Test
    void aBodyLongerThanAnyAnswerFailsAsAParseError()
    {
        open();
        frame(1, 20);
        flush(1000);
        final InferenceExchange exchange = port.exchanges.getLast();
        exchange.onResponse(200);
        assertTrue(exchange.appendResponse(ByteBuffer.allocate(4000)));
        assertEquals(false, exchange.appendResponse(ByteBuffer.allocate(100)), "past the 4 KiB limit");
        session.onInferenceCompletion(exchange);
        assertRange(sent.getFirst(), "error", 1, 1);
        assertEquals("parse_error", sent.getFirst().get("kind"));
    }

    @Test
    void aFlushDueWhileABatchIsInFlightIsSkippedAndTheNextBatchTakesEveryFrameSince()
    {
        open();
        frame(1, 20);
        flush(1000);
        frame(2, 1020);
        flush(2000);
        assertEquals(1, port.bodies.size(), "one request in flight at most");
        assertEquals(1, loop.metrics.get(LoopMetrics.FLUSHES_SKIPPED));
        answer(null);
        frame(3, 2020);
        flush(3000);
        assertEquals(2, port.bodies.size());
        assertEquals(2 * 640, port.bodies.get(1).length);
        answer(null);
        assertRange(sent.get(0), "partial", 1, 1);
        assertRange(sent.get(1), "partial", 2, 3);
    }

    @Test
    void theDeadlineResolvesTheBatchAndItsLateAnswerIsDiscarded()
    {
        open();
        frame(1, 20);
        frame(2, 40);
        flush(1000);
        at(2999);
        assertEquals(IN_FLIGHT, session.batchState());
        at(3010);
        assertEquals(ABANDONED, session.batchState());
        assertTrue(port.requests.getFirst().isCancelled(), "the timed-out request is cancelled");
        assertRange(sent.getFirst(), "error", 1, 2);
        assertEquals("timeout", sent.getFirst().get("kind"));
        assertEquals(0, loop.inFlightBatches());

        frame(3, 3020);
        flush(4000);
        assertEquals(1, port.bodies.size(), "no new request before the cancelled one came back");
        answer(null);
        assertEquals(IDLE, session.batchState());
        assertEquals(1, loop.metrics.get(LoopMetrics.LATE_COMPLETIONS));
        assertEquals(1, sent.size(), "the late answer is not sent");

        flush(5000);
        answer(null);
        assertRange(sent.get(1), "partial", 3, 3);
    }

    @Test
    void aFailedRequestIsOneErrorFrameAndTheSessionGoesOn()
    {
        open();
        frame(1, 20);
        flush(1000);
        answer(ErrorKind.CONNECTION_RESET);
        frame(2, 1020);
        flush(2000);
        answer(null);
        assertRange(sent.get(0), "error", 1, 1);
        assertEquals("connection_reset", sent.get(0).get("kind"));
        assertRange(sent.get(1), "partial", 2, 2);
    }

    @Test
    void framesShedWhileTheRingIsFullAreReportedOnceAsOneRangeAfterItDrains()
    {
        open("SESSION_BUFFER_FRAMES", "4");
        for (int seq = 1; seq <= 4; seq++)
        {
            assertTrue(frame(seq, seq * 20));
        }
        flush(1000);
        assertEquals(false, frame(5, 1020));
        assertEquals(false, frame(6, 1040));
        answer(null);
        assertRange(sent.get(0), "partial", 1, 4);
        assertRange(sent.get(1), "error", 5, 6);
        assertEquals("buffer_overflow", sent.get(1).get("kind"));
        assertEquals(2, loop.metrics.get(LoopMetrics.FRAMES_SHED));

        assertTrue(frame(7, 1060), "storing resumes once the shed range is reported");
        flush(2000);
        answer(null);
        assertRange(sent.get(2), "partial", 7, 7);
    }

    @Test
    void framesShedForWantOfAudioMemoryAreReportedAtTheNextFlushWhenNothingIsStored()
    {
        audioMemory = new AudioMemoryBudget(AudioChunkPool.CHUNK_BYTES);
        open();
        for (int seq = 1; seq <= AudioChunkPool.FRAMES_PER_CHUNK; seq++)
        {
            assertTrue(frame(seq, seq * 20));
        }
        assertFalse(frame(13, 260), "a second chunk would exceed the budget");
        flush(1000);
        assertEquals(AudioChunkPool.CHUNK_BYTES, audioMemory.committedBytes(),
            "the body's two pages overdrew the budget and the chunk it emptied paid for them");
        answer(null);
        assertRange(sent.get(0), "partial", 1, 12);
        assertRange(sent.get(1), "error", 13, 13);
        assertEquals("buffer_overflow", sent.get(1).get("kind"));

        // The idle exchange's body holds the whole budget: nothing is stored, and no batch is out to report it.
        assertFalse(frame(14, 1020));
        assertFalse(frame(15, 1040));
        flush(2000);
        assertEquals(1, port.bodies.size());
        assertRange(sent.get(2), "error", 14, 15);
        assertEquals("buffer_overflow", sent.get(2).get("kind"));
        assertEquals(3, loop.metrics.get(LoopMetrics.FRAMES_SHED));
        assertEquals(2, loop.slots.audio().refusals(), "frame 15 was shed without asking: a range was open");

        loop.trimExchanges();
        loop.trimExchanges();
        assertEquals(0, audioMemory.committedBytes(), "the idle exchange is dropped with its body");
        assertTrue(frame(16, 2020), "storing resumes once memory is free");
        flush(3000);
        answer(null);
        assertRange(sent.get(3), "partial", 16, 16);
    }

    @Test
    void drainingSendsNoNewBatchButAnswersTheOneInFlight()
    {
        open();
        frame(1, 20);
        flush(1000);
        loop.startDraining();
        frame(2, 1020);
        flush(2000);
        assertEquals(1, port.bodies.size());
        answer(null);
        assertEquals(1, sent.size());
        assertRange(sent.getFirst(), "partial", 1, 1);
    }

    @Test
    void aClosedSessionGivesBackItsSlotAndAudioAtOnceWhileItsBatchIsOut()
    {
        open();
        frame(1, 20);
        flush(1000);
        frame(2, 1020);
        session.close();
        assertEquals(0, loop.slots.inUse());
        assertEquals(0, loop.slots.audio().inUse(), "the frame behind the batch is dropped with the session");
        assertEquals(0, loop.inFlightBatches());
        assertEquals(1, loop.slots.requestBodies().inUse(), "the HTTP client may still read the batch's body");
        answer(null);
        assertEquals(0, sent.size());
        assertEquals(1, loop.trimExchanges(), "the exchange is idle again, its body with it");
    }

    @Test
    void aSessionThatNeverStreamsHoldsNoAudioAndSendsNothing()
    {
        open();
        at(5000);
        assertFalse(session.hasPendingAudio());
        assertEquals(0, port.requests.size());
        assertEquals(0, loop.slots.audio().inUse());
    }

    @Test
    void aFlushWithNoRequestBodyLeftWaitsAndLosesNothing()
    {
        open("MAX_SESSIONS", "1");
        frame(1, 20);
        flush(1000);
        answer(null);
        final InferenceExchange lentElsewhere = loop.lendExchange(640);
        frame(2, 1020);
        flush(2000);
        assertEquals(1, port.exchanges.size(), "the loop's only body is lent: no request");
        assertEquals(1, loop.metrics.get(LoopMetrics.FLUSHES_DEFERRED));
        loop.returnExchange(lentElsewhere);
        flush(3000);
        assertEquals(2, port.exchanges.size());
        answer(null);
        assertRange(sent.get(0), "partial", 1, 1);
        assertRange(sent.get(1), "partial", 2, 2);
    }
}
