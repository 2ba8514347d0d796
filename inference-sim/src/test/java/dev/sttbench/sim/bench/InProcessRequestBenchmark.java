package dev.sttbench.sim.bench;

import dev.sttbench.sim.GoldenVectors;
import dev.sttbench.sim.SimConfig;
import dev.sttbench.sim.server.InferenceEndpoint;
import dev.sttbench.sim.server.SimChannelInitializer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One whole POST /infer of a 32000-byte body (x-cpu-passes: 4, no model delay) through the server's real
 * per-connection pipeline in an EmbeddedChannel: request decoding, body handling, stub, JSON, admission,
 * response encoding. No sockets, so this is the simulator's own CPU cost per request.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class InProcessRequestBenchmark
{
    private static final int BODY_BYTES = 32000;
    /** Offsets of the stream identifier in the HEADERS frame and the two DATA frames of one request. */
    private static final int FRAME_HEADER_LENGTH = 9;
    private static final int STREAM_ID_OFFSET = 5;
    /** Golden vector 2 of golden-vectors.json: session 7, frames 1..50, 4 passes. */
    private static final String EXPECTED_JSON = "{\"rms\":5700.720524635461,\"zero_crossings\":111,\"checksum\":1745880965," +
        "\"samples\":64000,\"transcript\":\"over\",\"audio_bytes\":32000}";

    @Param({"h2c-prior-knowledge", "http/1.1"})
    String transport;

    private EmbeddedChannel channel;
    private ByteBuf request;
    private int[] streamIdOffsets;
    private int streamId = 1;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        final SimConfig config = SimConfig.fromEnv(Map.of(
            "PORT", "0", "CPU_PASSES", "4", "MODEL_DELAY_MS", "0", "MODEL_JITTER_SIGMA", "0",
            "MODEL_BATCH_WAIT_MAX_MS", "0", "MODEL_LONGTAIL_PROB", "0"));
        channel = new EmbeddedChannel(new SimChannelInitializer(new InferenceEndpoint(config, new SplittableRandom(1)), config, null));
        final byte[] body = GoldenVectors.pcm(7, 1, BODY_BYTES / 640);
        if ("http/1.1".equals(transport))
        {
            request = Unpooled.directBuffer()
                .writeBytes(("POST /infer HTTP/1.1\r\nHost: sim\r\nx-cpu-passes: 4\r\nContent-Length: " + BODY_BYTES + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII))
                .writeBytes(body);
            streamIdOffsets = new int[0];
        }
        else
        {
            // The client's frames are encoded by Netty's frame writer into a scratch channel's outbound queue.
            final EmbeddedChannel scratch = new EmbeddedChannel(new ChannelHandlerAdapter()
            {
            });
            final ChannelHandlerContext ctx = scratch.pipeline().firstContext();
            final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            channel.writeInbound(Unpooled.wrappedBuffer(Http2CodecUtil.connectionPrefaceBuf()));
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            channel.writeInbound(collect(scratch));
            drainOutbound();

            // One request as a client frames it: HEADERS, then DATA in 16 KiB frames; stream ids are patched per call.
            final Http2Headers headers = new DefaultHttp2Headers()
                .method("POST").scheme("http").authority("sim").path("/infer").add("x-cpu-passes", "4");
            writer.writeHeaders(ctx, 1, headers, 0, false, ctx.newPromise());
            writer.writeData(ctx, 1, Unpooled.wrappedBuffer(body, 0, 16384), 0, false, ctx.newPromise());
            writer.writeData(ctx, 1, Unpooled.wrappedBuffer(body, 16384, BODY_BYTES - 16384), 0, true, ctx.newPromise());
            request = Unpooled.directBuffer().writeBytes(collect(scratch));
            final int headersLength = FRAME_HEADER_LENGTH + request.getUnsignedMedium(0);
            streamIdOffsets = new int[] {
                STREAM_ID_OFFSET,
                headersLength + STREAM_ID_OFFSET,
                headersLength + FRAME_HEADER_LENGTH + 16384 + STREAM_ID_OFFSET,
            };
            scratch.finishAndReleaseAll();
            writer.close();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        channel.finishAndReleaseAll();
        request.release();
    }

    @Benchmark
    public int request()
    {
        if (0 != streamIdOffsets.length)
        {
            for (final int offset : streamIdOffsets)
            {
                request.setInt(offset, streamId);
            }
            streamId += 2;
        }
        channel.writeInbound(request.retainedDuplicate());
        channel.runPendingTasks();
        return drainOutbound();
    }

    private static ByteBuf collect(final EmbeddedChannel scratch)
    {
        scratch.flushOutbound();
        final ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while (null != (part = scratch.readOutbound()))
        {
            all.writeBytes(part);
            part.release();
        }
        return all;
    }

    private int drainOutbound()
    {
        int bytes = 0;
        Object out;
        while (null != (out = channel.readOutbound()))
        {
            if (out instanceof ByteBuf buf)
            {
                bytes += buf.readableBytes();
            }
            ReferenceCountUtil.release(out);
        }
        return bytes;
    }
}
