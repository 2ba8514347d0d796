package dev.sttbench.sim.server;

import dev.sttbench.sim.SimConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.AsciiString;

/**
 * Per connection: HTTP/2 by prior knowledge (client preface) or by {@code Upgrade: h2c}, else HTTP/1.1.
 * Responses completed by timers in the same loop iteration share one flush (FlushConsolidationHandler).
 * Public so benchmarks can run the whole per-connection pipeline in an EmbeddedChannel.
 */
public final class SimChannelInitializer extends ChannelInitializer<Channel>
{
    static final String HTTP1_AGGREGATOR = "http1-aggregator";
    static final String HTTP1_HANDLER = "http1-handler";
    private static final int MAX_FLUSHES_CONSOLIDATED = 256;

    private final InferenceEndpoint endpoint;
    private final SimConfig config;
    private final ChannelGroup connections;

    /**
     * @param connections where each accepted connection is added while it is open (null: not tracked).
     */
    public SimChannelInitializer(final InferenceEndpoint endpoint, final SimConfig config, final ChannelGroup connections)
    {
        this.endpoint = endpoint;
        this.config = config;
        this.connections = connections;
    }

    protected void initChannel(final Channel channel)
    {
        if (null != connections)
        {
            connections.add(channel);
        }
        final HttpServerCodec http1Codec = new HttpServerCodec();
        // Aggregates only requests that ask for an upgrade; java.net.http sends its first POST, body included, that way.
        final HttpServerUpgradeHandler upgradeHandler = new HttpServerUpgradeHandler(
            http1Codec,
            protocol -> AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol) ?
                new Http2ServerUpgradeCodec(Http2Handler.create(endpoint, Transport.H2C_UPGRADE, config)) : null,
            SimConfig.MAX_BODY_BYTES);
        channel.pipeline().addLast(
            new FlushConsolidationHandler(MAX_FLUSHES_CONSOLIDATED, true),
            new CleartextHttp2ServerUpgradeHandler(http1Codec, upgradeHandler, new PriorKnowledgeInstaller(endpoint, config)));
        channel.pipeline().addLast(HTTP1_AGGREGATOR, new Http1Aggregator(endpoint.metrics()));
        channel.pipeline().addLast(HTTP1_HANDLER, new Http1Handler(endpoint));
    }

    /** Builds the HTTP/2 handler only once a client preface has been seen. */
    private static final class PriorKnowledgeInstaller extends ChannelHandlerAdapter
    {
        private final InferenceEndpoint endpoint;
        private final SimConfig config;

        PriorKnowledgeInstaller(final InferenceEndpoint endpoint, final SimConfig config)
        {
            this.endpoint = endpoint;
            this.config = config;
        }

        public void handlerAdded(final ChannelHandlerContext ctx)
        {
            ctx.pipeline().replace(this, null, Http2Handler.create(endpoint, Transport.H2C_PRIOR_KNOWLEDGE, config));
        }
    }
}
