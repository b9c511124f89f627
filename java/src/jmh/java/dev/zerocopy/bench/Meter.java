package dev.zerocopy.bench;

import java.lang.management.ManagementFactory;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * CPU per byte, next to throughput: the bytes a benchmark moved in one iteration and the
 * process CPU time (user + sys of every thread, from
 * {@code com.sun.management.OperatingSystemMXBean.getProcessCpuTime}) spent over the same
 * iteration. JMH reports both as secondary results ({@code :bytes}, {@code :cpuNanos});
 * the report divides them.
 *
 * <p>Process time, not the benchmark thread's: the kernel does part of a transfer's work
 * in other contexts (the socket's receive path, the reader thread), and GC or JIT threads
 * spent on a path are a cost of that path. It includes the sink's reader thread (and a
 * relay's feeder), which do the same work for the NIO twin and for zerocopy, so the CPU
 * ratio understates a difference rather than inflating it.
 *
 * <p>On Linux the JDK reads this clock with times(2): 10 ms ticks, so one 1 s iteration
 * is good to about 1%; the full profile averages five. Small transfers report it too, but
 * there the call overhead, not the bytes, is the point.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class Meter {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** Bytes moved by the benchmark in this iteration; the benchmark adds to it. */
    public long bytes;
    /** Process CPU nanoseconds over this iteration, set when the iteration ends. */
    public long cpuNanos;

    private long startCpu;

    @Setup(Level.Iteration)
    public void start() {
        bytes = 0;
        cpuNanos = 0;
        startCpu = OS.getProcessCpuTime();
    }

    // JMH reads the counters after the iteration's TearDown methods ran.
    @TearDown(Level.Iteration)
    public void stop() {
        cpuNanos = OS.getProcessCpuTime() - startCpu;
    }
}
