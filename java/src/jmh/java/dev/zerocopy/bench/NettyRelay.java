package dev.zerocopy.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollMode;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Netty's own splice relay, as a peer: a feeder connects to a Netty epoll server; the
 * accepted channel is spliced ({@code EpollSocketChannel.spliceTo}, Netty's pipe + splice)
 * into a Netty client channel whose peer a reader thread drains. Both channels share one
 * event loop (spliceTo requires it) and level-triggered epoll (spliceTo requires that too).
 * The relay runs on Netty's thread; a benchmark operation waits for the next bytes to
 * arrive at the reader.
 */
final class NettyRelay implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Channel server;
    private final Channel from;
    private final Channel to;
    private final Io.Feed feed;
    final Io.Drain drain;

    // Netty 4.2 deprecates spliceTo and the epoll mode option (the peer we measure is that
    // API as users have it).
    @SuppressWarnings("deprecation")
    NettyRelay() throws IOException, InterruptedException, ExecutionException, TimeoutException {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(EpollChannelOption.EPOLL_MODE, EpollMode.LEVEL_TRIGGERED)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.complete(ch);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        try (ServerSocketChannel sinkServer = ServerSocketChannel.open()) {
            sinkServer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            to = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                    .option(EpollChannelOption.EPOLL_MODE, EpollMode.LEVEL_TRIGGERED)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(sinkServer.getLocalAddress()).sync().channel();
            drain = new Io.Drain("netty", sinkServer.accept());
        }
        feed = new Io.Feed("netty", SocketChannel.open(server.localAddress()));
        from = accepted.get(10, TimeUnit.SECONDS);
        // Integer.MAX_VALUE: splice until the channel closes.
        ((EpollSocketChannel) from).spliceTo((EpollSocketChannel) to, Integer.MAX_VALUE);
    }

    @Override
    public void close() throws IOException {
        Io.closeAll(feed);
        from.close().syncUninterruptibly();
        to.close().syncUninterruptibly();
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        drain.close();
    }
}
