package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every entry point that does I/O on a channel, called on a thread whose interrupt status is
 * already set, does what JDK 25's NIO does there — including calls that never wait, as
 * {@code FileChannel.map} and {@code size} do: ClosedByInterruptException, every channel the
 * call was given closed, the interrupt status kept. Where NIO has the call, its twin runs in
 * the same test on the same kind of thread and must end the same way (on JDK 25; JDK 17
 * closes only the channel the method belongs to, and DESIGN follows 25 on every JDK).
 * A {@link MappedRegion}'s own methods (force, load, advise, buffer) are not channel I/O,
 * as MappedByteBuffer's are not, and ignore the interrupt like them.
 */
class InterruptAtEntryTest {
    @TempDir
    static Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Thread.interrupted();
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** Fresh channels for one call: a readable+writable file with data, a second file, sockets, pipes. */
    final class Channels {
        final FileChannel file;
        final FileChannel other;
        final SocketChannel socket;
        final SocketChannel socketPeer;
        final KernelPipe pipe;
        final KernelPipe pipe2;

        Channels() throws IOException {
            Path p = Files.write(dir.resolve("f-" + System.nanoTime()), TestSupport.randomBytes(100_000, 1));
            file = open(FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE));
            other = open(FileChannel.open(dir.resolve("g-" + System.nanoTime()), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE));
            SocketChannel[] pair = TestSupport.socketPair();
            socket = open(pair[0]);
            socketPeer = open(pair[1]);
            socketPeer.write(ByteBuffer.wrap(new byte[1000]));
            pipe = open(ZeroCopy.pipe(1 << 16));
            pipe2 = open(ZeroCopy.pipe(1 << 16));
            pipe.sink().write(ByteBuffer.wrap(new byte[1000]));
        }

        private <T extends AutoCloseable> T open(T c) {
            toClose.add(c);
            return c;
        }
    }

    interface Call {
        Object run(Channels c) throws Exception;
    }

    interface Involved {
        Channel[] of(Channels c);
    }

    static Stream<Arguments> entryPoints() {
        Object[][] cases = {
            {"transferTo(file -> socket)", (Call) c -> ZeroCopy.transferTo(c.file, 0, 1000, c.socket),
                (Call) c -> c.file.transferTo(0, 1000, c.socket), (Involved) c -> new Channel[] {c.file, c.socket}},
            {"transferTo(file -> file)", (Call) c -> ZeroCopy.transferTo(c.file, 0, 1000, c.other),
                (Call) c -> c.file.transferTo(0, 1000, c.other), (Involved) c -> new Channel[] {c.file, c.other}},
            {"transferFrom(socket -> file)", (Call) c -> ZeroCopy.transferFrom(c.socket, c.file, 0, 10),
                (Call) c -> c.file.transferFrom(c.socket, 0, 10), (Involved) c -> new Channel[] {c.socket, c.file}},
            {"transferFrom(file -> file)", (Call) c -> ZeroCopy.transferFrom(c.file, c.other, 0, 1000),
                (Call) c -> c.other.transferFrom(c.file, 0, 1000), (Involved) c -> new Channel[] {c.file, c.other}},
            {"map", (Call) c -> ZeroCopy.map(c.file, FileChannel.MapMode.READ_ONLY, 0, 1000),
                (Call) c -> c.file.map(FileChannel.MapMode.READ_ONLY, 0, 1000),
                (Involved) c -> new Channel[] {c.file}},
            {"sendfile(file -> socket)", (Call) c -> ZeroCopy.sendfile(c.file, 0, 1000, c.socket), null,
                (Involved) c -> new Channel[] {c.file, c.socket}},
            {"copyFileRange", (Call) c -> ZeroCopy.copyFileRange(c.file, 0, c.other, 0, 1000), null,
                (Involved) c -> new Channel[] {c.file, c.other}},
            {"splice(socket -> socket)", (Call) c -> ZeroCopy.splice(c.socket, c.socketPeer, 10), null,
                (Involved) c -> new Channel[] {c.socket, c.socketPeer}},
            {"splice(file at 0 -> pipe)", (Call) c -> ZeroCopy.splice(c.file, 0, c.pipe2.sink(), -1, 1000), null,
                (Involved) c -> new Channel[] {c.file, c.pipe2.sink()}},
            {"tee", (Call) c -> ZeroCopy.tee(c.pipe.source(), c.pipe2.sink(), 100), null,
                (Involved) c -> new Channel[] {c.pipe.source(), c.pipe2.sink()}},
            {"vmsplice", (Call) c -> ZeroCopy.vmsplice(c.pipe2.sink(), ByteBuffer.allocateDirect(100)), null,
                (Involved) c -> new Channel[] {c.pipe2.sink()}},
            {"Relay.transfer", (Call) c -> {
                Thread.interrupted();  // the call under test is transfer(), not relay()
                try (Relay relay = ZeroCopy.relay(c.socket, c.pipe2.sink())) {
                    Thread.currentThread().interrupt();
                    return relay.transfer();
                }
            }, null, (Involved) c -> new Channel[] {c.socket, c.pipe2.sink()}},
            {"MappedRegion.transferTo", (Call) c -> {
                Thread.interrupted();  // the call under test is transferTo(), not map()
                try (MappedRegion region = ZeroCopy.map(c.file, FileChannel.MapMode.READ_ONLY, 0, 1000)) {
                    Thread.currentThread().interrupt();
                    return region.transferTo(0, 1000, c.socket);
                }
            }, null, (Involved) c -> new Channel[] {c.socket}},
            {"KernelPipe.available", (Call) c -> c.pipe.available(), null,
                (Involved) c -> new Channel[] {c.pipe.source(), c.pipe.sink()}},
            {"KernelPipe.setCapacity", (Call) c -> {
                c.pipe.setCapacity(1 << 17);
                return c.pipe.capacity();
            }, null, (Involved) c -> new Channel[] {c.pipe.source(), c.pipe.sink()}},
        };
        List<Arguments> all = new ArrayList<>();
        for (Object[] c : cases) {
            all.add(Arguments.of(c[0], false, c[1], c[2], c[3]));
            all.add(Arguments.of(c[0], true, c[1], c[2], c[3]));
        }
        return all.stream();
    }

    /** Runs {@code call} interrupted on the given kind of thread; describes how it ended. */
    private String interrupted(boolean virtual, Call call, Involved involved) throws Exception {
        Channels c = new Channels();
        Callable<String> task = () -> {
            Thread.currentThread().interrupt();
            String result;
            try {
                result = "returned " + call.run(c);
            } catch (Exception e) {
                result = e.getClass().getSimpleName();
            }
            StringJoiner state = new StringJoiner(", ", result + (Thread.interrupted() ? ", interrupted" : "") + "; ", "");
            Channel[] channels = involved.of(c);
            for (int i = 0; i < channels.length; i++) {
                state.add("channel " + i + (channels[i].isOpen() ? " open" : " closed"));
            }
            return state.toString();
        };
        return (virtual ? VirtualThreads.call(task) : VirtualThreads.callOnPlatform(task)).get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0}, virtual thread: {1}")
    @MethodSource("entryPoints")
    void interruptedCallClosesItsChannelsLikeNio(String name, boolean virtual, Call call, Call nio, Involved involved)
            throws Exception {
        if (virtual) {
            VirtualThreads.assumeAvailable();
        }
        String ours = interrupted(virtual, call, involved);
        StringJoiner rule = new StringJoiner(", ", "ClosedByInterruptException, interrupted; ", "");
        for (int i = 0; i < involved.of(new Channels()).length; i++) {
            rule.add("channel " + i + " closed");
        }
        assertEquals(rule.toString(), ours, name);
        if (nio != null && Runtime.version().feature() >= 25) {
            assertEquals(interrupted(virtual, nio, involved), ours, name + " against NIO's twin");
        }
    }
}
