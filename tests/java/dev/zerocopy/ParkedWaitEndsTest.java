package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A call waiting for a socket ends soon after another thread closes one of its channels or
 * interrupts it — on platform and virtual threads alike — with the exception and channel
 * state that NIO's own blocking read gives in the same situation on the same kind of thread.
 */
class ParkedWaitEndsTest {
    /** DESIGN: a blocked call notices close and interrupt well under a second; the issue asks 100 ms. */
    private static final long LIMIT_MILLIS = 100;
    private static final int ROUNDS = 5;

    @TempDir
    static Path dir;

    enum Kind { PLATFORM, VIRTUAL }

    enum Action { CLOSE_SOURCE, CLOSE_TARGET, INTERRUPT }


    private static Path big;

    @BeforeAll
    static void bigFile() throws IOException {
        big = TestSupport.randomFile(dir, 32 << 20, 5);
    }

    /** One blocking call, its channels, and NIO's twin of it (the same wait through java.nio). */
    interface Call {
        Object run(Channel source, Channel target) throws Exception;
    }

    interface Opener {
        Channel[] open(SocketChannel[] in, SocketChannel[] out) throws IOException;
    }

    private static final Opener SOCKETS = (in, out) -> new Channel[] {in[1], out[0]};
    private static final Opener SOCKET_TO_FILE = (in, out) -> new Channel[] {in[1], FileChannel.open(
            dir.resolve("target-" + System.nanoTime()), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)};
    private static final Opener FILE_TO_SOCKET = (in, out) -> new Channel[] {
        FileChannel.open(big, StandardOpenOption.READ), out[0]};

    static Stream<Arguments> cases() {
        Call read = (s, t) -> ((SocketChannel) s).read(ByteBuffer.allocate(100));
        Object[][] calls = {
            {"splice(socket -> socket)", SOCKETS,
                (Call) (s, t) -> ZeroCopy.splice(s, t, 1 << 20), read, "AsynchronousCloseException"},
            {"Relay.transfer()", SOCKETS, (Call) (s, t) -> {
                try (Relay relay = ZeroCopy.relay((SocketChannel) s, (SocketChannel) t)) {
                    return relay.transfer();
                }
            }, read, "AsynchronousCloseException"},
            {"transferFrom(socket -> file)", SOCKET_TO_FILE,
                (Call) (s, t) -> ZeroCopy.transferFrom((SocketChannel) s, (FileChannel) t, 0, 1 << 20),
                (Call) (s, t) -> ((FileChannel) t).transferFrom((SocketChannel) s, 0, 1 << 20),
                "AsynchronousCloseException"},
            {"transferTo(file -> socket nobody reads)", FILE_TO_SOCKET,
                (Call) (s, t) -> ZeroCopy.transferTo((FileChannel) s, 0, 32 << 20, (SocketChannel) t),
                (Call) (s, t) -> ((FileChannel) s).transferTo(0, 32 << 20, (SocketChannel) t),
                "returned"},
        };
        List<Arguments> all = new ArrayList<>();
        for (Object[] call : calls) {
            for (Kind kind : Kind.values()) {
                for (Action action : Action.values()) {
                    all.add(Arguments.of(call[0], kind, action, call[1], call[2], call[3], call[4]));
                }
            }
        }
        return all.stream();
    }

    /** What a finished call left behind. */
    static final class Outcome {
        /** The exception's class, "returned" when the call returned, "blocked" when it never ended. */
        String result;
        boolean interruptStatus;
        long millis;
        boolean sourceOpen;
        boolean targetOpen;

        @Override
        public String toString() {
            return result + (interruptStatus ? ", interrupted" : "") + ", source " + (sourceOpen ? "open" : "closed")
                    + ", target " + (targetOpen ? "open" : "closed");
        }
    }

    /** Runs {@code call} on fresh channels, closes or interrupts it once it waits. */
    private static Outcome runOnce(Kind kind, Action action, Opener opener, Call call) throws Exception {
        SocketChannel[] in = TestSupport.socketPair();
        SocketChannel[] out = TestSupport.socketPair();
        Channel[] channels = opener.open(in, out);
        try {
            AtomicReference<Thread> runner = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            long[] ended = new long[1];
            boolean[] interrupted = new boolean[1];
            Callable<Object> wrapped = () -> {
                runner.set(Thread.currentThread());
                started.countDown();
                try {
                    return call.run(channels[0], channels[1]);
                } finally {
                    ended[0] = System.nanoTime();
                    interrupted[0] = Thread.currentThread().isInterrupted();
                }
            };
            CompletableFuture<Object> result = kind == Kind.VIRTUAL ? VirtualThreads.call(wrapped)
                    : VirtualThreads.callOnPlatform(wrapped);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            Thread.sleep(300);  // let it reach its wait (a transferTo first fills the socket)
            assertFalse(result.isDone(), "the call should be waiting: " + result);
            long acted = System.nanoTime();
            // From another thread: NIO's own close of a FileChannel waits for a transferFrom
            // blocked on its socket, forever (the case DESIGN asks us to do better than).
            Thread actor = new Thread(() -> {
                try {
                    switch (action) {
                        case CLOSE_SOURCE:
                            channels[0].close();
                            break;
                        case CLOSE_TARGET:
                            channels[1].close();
                            break;
                        default:
                            runner.get().interrupt();
                            break;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, "test-closer");
            actor.setDaemon(true);
            actor.start();
            Outcome outcome = new Outcome();
            try {
                result.get(3, TimeUnit.SECONDS);
                outcome.result = "returned";
            } catch (ExecutionException e) {
                outcome.result = e.getCause().getClass().getSimpleName();
            } catch (TimeoutException e) {
                outcome.result = "blocked";
            }
            outcome.millis = TimeUnit.NANOSECONDS.toMillis(ended[0] - acted);
            outcome.interruptStatus = interrupted[0];
            outcome.sourceOpen = channels[0].isOpen();
            outcome.targetOpen = channels[1].isOpen();
            return outcome;
        } finally {
            // The sockets first: that ends a call NIO left blocked, so its file can close.
            for (Channel c : new Channel[] {in[0], in[1], out[0], out[1], channels[0], channels[1]}) {
                c.close();
            }
        }
    }

    /**
     * DESIGN's rule: a close ends the call with the count moved so far ("returned") or
     * AsynchronousCloseException if nothing moved ({@code closedResult}); an interrupt with
     * ClosedByInterruptException, the interrupt status kept and both channels closed.
     */
    private static String designRule(Action action, String closedResult) {
        if (action == Action.INTERRUPT) {
            return "ClosedByInterruptException, interrupted, source closed, target closed";
        }
        return closedResult + ", source " + (action == Action.CLOSE_SOURCE ? "closed" : "open") + ", target "
                + (action == Action.CLOSE_TARGET ? "closed" : "open");
    }

    @ParameterizedTest(name = "{0} on a {1} thread, {2}")
    @MethodSource("cases")
    void waitEndsLikeNio(String name, Kind kind, Action action, Opener opener, Call call, Call nio,
            String closedResult) throws Exception {
        if (kind == Kind.VIRTUAL) {
            VirtualThreads.assumeAvailable();
        }
        String rule = designRule(action, closedResult);
        Outcome twin = runOnce(kind, action, opener, nio);
        boolean readTwin = twin.result != null && opener == SOCKETS;
        if (!twin.result.equals("blocked") && Runtime.version().feature() >= 25) {
            // NIO's twin agrees with the rule (a read has no target: compare what it has).
            // The rule is JDK 25's; older JDKs differ (JDK 17 closes only the channel the
            // interrupted transfer was called on), and DESIGN follows 25 on every JDK.
            String seen = readTwin ? twin.result + (twin.interruptStatus ? ", interrupted" : "") + ", source "
                    + (twin.sourceOpen ? "open" : "closed") : twin.toString();
            String ruled = readTwin ? rule.substring(0, rule.indexOf(", target")) : rule;
            assertEquals(ruled, seen, "NIO's twin of " + name + " on a " + kind + " thread after " + action);
        }
        // Where NIO's twin stays blocked (JDK 25: transferFrom whose target file is closed;
        // transferTo on a virtual thread, pinned in sendfile), ours still follows the rule.
        List<Long> times = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            Outcome ours = runOnce(kind, action, opener, call);
            times.add(ours.millis);
            assertEquals(rule, ours.toString(), name + " on a " + kind + " thread after " + action
                    + " (NIO's twin: " + twin + ")");
        }
        Collections.sort(times);
        long median = times.get(ROUNDS / 2);
        assertTrue(median <= LIMIT_MILLIS, name + " on a " + kind + " thread ended " + times
                + " ms after " + action + " (median over " + LIMIT_MILLIS + " ms)");
    }
}
