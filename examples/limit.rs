//! The no-JVM limit: the scenarios of the JMH suite (java/src/jmh/java/dev/zerocopy/bench)
//! run with the same system calls straight from Rust, through the library's own `sys`
//! layer, so `gradle benchReport` can show how close the JVM path comes to the kernel's
//! own speed. Same shapes as the JMH classes: a cached data file, loopback TCP with a
//! reader thread draining the far end, a feeder thread for the relay, library-sized pipes
//! (1 MiB) where the library uses its own pipe, `Pipe.open()`-sized ones (64 KiB) where the
//! benchmark does.
//!
//! ```text
//! cargo run --release --example limit -- [--profile quick|full] [--out FILE] [--dir DIR]
//! ```
//! Writes JSON: `{"profile": .., "results": [{"scenario", "technique", "size",
//! "bytesPerSecond", "nsPerOp"}]}`; scenario names are the JMH class names.

use std::error::Error;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::fcntl::{SpliceFFlags, copy_file_range};
use zerocopy_jni::sys;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
/// The library's own pipes ask for 1 MiB (OwnedPipe.DEFAULT_CAPACITY).
const LIBRARY_PIPE: usize = MIB;

struct Settings {
    warmup: Duration,
    measure: Duration,
    sizes: Vec<usize>,
    lengths: Vec<usize>,
    dir: PathBuf,
}

struct Sample {
    scenario: &'static str,
    technique: &'static str,
    size: usize,
    bytes_per_second: f64,
    ns_per_op: f64,
}

fn main() -> Result<()> {
    let mut profile = String::from("full");
    let mut out = PathBuf::from("build/bench/limit.json");
    let mut dir = std::env::temp_dir();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--profile" => profile = value()?,
            "--out" => out = PathBuf::from(value()?),
            "--dir" => dir = PathBuf::from(value()?),
            _ => return Err(format!("unknown argument {arg}; usage: limit [--profile quick|full] [--out FILE] [--dir DIR]").into()),
        }
    }
    let settings = match profile.as_str() {
        "quick" => Settings {
            warmup: Duration::from_millis(100),
            measure: Duration::from_millis(300),
            sizes: vec![MIB],
            lengths: vec![64],
            dir,
        },
        "full" => Settings {
            warmup: Duration::from_secs(1),
            measure: Duration::from_secs(3),
            sizes: vec![64 * KIB, MIB, 64 * MIB],
            lengths: vec![1, 64, 512, 4096],
            dir,
        },
        other => return Err(format!("--profile must be quick or full, not {other}").into()),
    };

    let mut samples = Vec::new();
    for &size in &settings.sizes {
        for technique in ["sendfile", "splice", "readwrite"] {
            samples.push(file_to_socket(&settings, technique, size)?);
        }
        for technique in ["sendfile", "splice", "splice_poll"] {
            samples.push(file_to_pipe(&settings, technique, size)?);
        }
        // FileToFileBench has no 64 KiB size.
        if size >= MIB {
            for technique in ["sendfile", "splice", "copy_file_range"] {
                samples.push(file_to_file(&settings, technique, size)?);
            }
        }
    }
    for technique in ["splice", "readwrite"] {
        samples.push(socket_relay(&settings, technique, MIB)?);
    }
    for technique in ["splice", "readwrite_8k", "readwrite"] {
        samples.push(socket_to_file(&settings, technique, MIB)?);
    }
    for technique in ["tee", "readwrite"] {
        samples.push(tee(&settings, technique, MIB)?);
    }
    for technique in ["mmap_read", "mmap_cycle"] {
        samples.push(map(&settings, technique, MIB)?);
    }
    for &length in &settings.lengths {
        for technique in ["splice_pipe", "splice_pipe_null", "sendfile_null"] {
            samples.push(small(&settings, technique, length)?);
        }
    }
    samples.push(small(&settings, "splice_zero", 0)?);

    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, to_json(&profile, &samples))?;
    for s in &samples {
        println!(
            "{:<20} {:<16} {:>10} B  {:>9.1} MB/s  {:>12.1} ns/op",
            s.scenario,
            s.technique,
            s.size,
            s.bytes_per_second / 1e6,
            s.ns_per_op
        );
    }
    println!("limit results written to {}", out.display());
    Ok(())
}

/// Runs `op` (which returns the bytes it moved) for the warmup, then counts operations for
/// the measured time.
fn measure(
    settings: &Settings,
    scenario: &'static str,
    technique: &'static str,
    size: usize,
    mut op: impl FnMut() -> Result<usize>,
) -> Result<Sample> {
    let start = Instant::now();
    while start.elapsed() < settings.warmup {
        op()?;
    }
    let (mut ops, mut bytes) = (0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < settings.measure {
        bytes += op()? as u64;
        ops += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(Sample {
        scenario,
        technique,
        size,
        bytes_per_second: bytes as f64 / seconds,
        ns_per_op: seconds * 1e9 / ops as f64,
    })
}

fn file_to_socket(settings: &Settings, technique: &'static str, size: usize) -> Result<Sample> {
    let (file, path) = random_file(&settings.dir, size)?;
    let (client, server) = tcp_pair()?;
    let drain = drain(server);
    let pipe = blocking_pipe(LIBRARY_PIPE)?;
    let mut buffer = vec![0u8; MIB];
    let mut sent = 0u64;
    let sample = measure(settings, "FileToSocketBench", technique, size, || {
        let mut offset = 0i64;
        match technique {
            "sendfile" => {
                while (offset as usize) < size {
                    let left = size - offset as usize;
                    sys::sendfile::sendfile(client.as_fd(), file.as_fd(), &mut offset, left)?;
                }
            }
            "splice" => {
                splice_through(&file, Some(&mut offset), &pipe, client.as_fd(), None, size)?
            }
            _ => {
                while (offset as usize) < size {
                    let want = buffer.len().min(size - offset as usize);
                    let n = file.read_at(&mut buffer[..want], offset as u64)?;
                    (&client).write_all(&buffer[..n])?;
                    offset += n as i64;
                }
            }
        }
        sent += size as u64;
        Ok(size)
    })?;
    client.shutdown(Shutdown::Write)?;
    check_drained(drain, sent)?;
    std::fs::remove_file(path)?;
    Ok(sample)
}

fn file_to_pipe(settings: &Settings, technique: &'static str, size: usize) -> Result<Sample> {
    let (file, path) = random_file(&settings.dir, size)?;
    // Pipe.open()'s pipe: the kernel's default capacity.
    let (read, write) = nix::unistd::pipe()?;
    let drain = drain(File::from(read));
    let mut sent = 0u64;
    let sample = measure(settings, "FileToPipeBench", technique, size, || {
        let mut offset = 0i64;
        while (offset as usize) < size {
            let left = size - offset as usize;
            match technique {
                "sendfile" => {
                    sys::sendfile::sendfile(write.as_fd(), file.as_fd(), &mut offset, left)?;
                }
                "splice" => {
                    let flags = SpliceFFlags::empty();
                    sys::splice::splice(
                        file.as_fd(),
                        Some(&mut offset),
                        write.as_fd(),
                        None,
                        left,
                        flags,
                    )?;
                }
                _ => {
                    // The library's way: never sleep in splice; poll for room instead.
                    let flags = SpliceFFlags::SPLICE_F_NONBLOCK;
                    match sys::splice::splice(
                        file.as_fd(),
                        Some(&mut offset),
                        write.as_fd(),
                        None,
                        left,
                        flags,
                    ) {
                        Err(e) if e.errno() == Some(nix::errno::Errno::EAGAIN) => {
                            sys::poll::wait(write.as_fd(), sys::poll::WRITABLE, 50)?;
                        }
                        other => {
                            other?;
                        }
                    }
                }
            }
        }
        sent += size as u64;
        Ok(size)
    })?;
    drop(write);
    check_drained(drain, sent)?;
    std::fs::remove_file(path)?;
    Ok(sample)
}

fn file_to_file(settings: &Settings, technique: &'static str, size: usize) -> Result<Sample> {
    let (src, src_path) = random_file(&settings.dir, size)?;
    let (mut dst, dst_path) = random_file(&settings.dir, 0)?;
    let pipe = blocking_pipe(LIBRARY_PIPE)?;
    let sample = measure(settings, "FileToFileBench", technique, size, || {
        let mut offset = 0i64;
        match technique {
            "sendfile" => {
                dst.seek(SeekFrom::Start(0))?;
                while (offset as usize) < size {
                    let left = size - offset as usize;
                    sys::sendfile::sendfile(dst.as_fd(), src.as_fd(), &mut offset, left)?;
                }
            }
            "copy_file_range" => {
                let mut out_offset = 0i64;
                while (offset as usize) < size {
                    let left = size - offset as usize;
                    copy_file_range(&src, Some(&mut offset), &dst, Some(&mut out_offset), left)?;
                }
            }
            _ => {
                let mut out_offset = 0i64;
                splice_through(
                    &src,
                    Some(&mut offset),
                    &pipe,
                    dst.as_fd(),
                    Some(&mut out_offset),
                    size,
                )?;
            }
        }
        Ok(size)
    })?;
    if dst.metadata()?.len() != size as u64 {
        return Err(format!("file_to_file {technique}: destination has the wrong size").into());
    }
    std::fs::remove_file(src_path)?;
    std::fs::remove_file(dst_path)?;
    Ok(sample)
}

fn socket_relay(settings: &Settings, technique: &'static str, size: usize) -> Result<Sample> {
    let (feed_in, from) = tcp_pair()?;
    let (to, drain_out) = tcp_pair()?;
    let feeder = feeder(feed_in);
    let drain = drain(drain_out);
    let pipe = blocking_pipe(LIBRARY_PIPE)?;
    let mut buffer = vec![0u8; MIB];
    let mut sent = 0u64;
    let sample = measure(settings, "SocketRelayBench", technique, size, || {
        let mut done = 0;
        while done < size {
            if technique == "splice" {
                let n = sys::splice::splice(
                    from.as_fd(),
                    None,
                    pipe.1.as_fd(),
                    None,
                    (size - done).min(LIBRARY_PIPE),
                    SpliceFFlags::empty(),
                )?;
                if n == 0 {
                    return Err("feed ended".into());
                }
                drain_pipe(&pipe, to.as_fd(), None, n)?;
                done += n;
            } else {
                let want = buffer.len().min(size - done);
                let n = (&from).read(&mut buffer[..want])?;
                if n == 0 {
                    return Err("feed ended".into());
                }
                (&to).write_all(&buffer[..n])?;
                done += n;
            }
        }
        sent += size as u64;
        Ok(size)
    })?;
    to.shutdown(Shutdown::Write)?;
    check_drained(drain, sent)?;
    drop(from);
    feeder.join().map_err(|_| "feeder panicked")?;
    Ok(sample)
}

/// A feeder thread that keeps `feed_in` full of bytes until the other end is closed.
fn feeder(feed_in: TcpStream) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let chunk = vec![0x5au8; MIB];
        while (&feed_in).write_all(&chunk).is_ok() {}
    })
}

/// Socket -> file: `size` bytes of a fed socket stored at the start of a cached file.
/// `splice` goes through a library-sized pipe; `readwrite_8k` is JDK 17's transferFrom
/// (8 KiB reads, positional writes); `readwrite` the same with a 1 MiB buffer.
fn socket_to_file(settings: &Settings, technique: &'static str, size: usize) -> Result<Sample> {
    let (feed_in, from) = tcp_pair()?;
    let feeder = feeder(feed_in);
    let (file, path) = random_file(&settings.dir, 0)?;
    let pipe = blocking_pipe(LIBRARY_PIPE)?;
    let mut buffer = vec![
        0u8;
        if technique == "readwrite_8k" {
            8 * KIB
        } else {
            MIB
        }
    ];
    let sample = measure(settings, "SocketToFileBench", technique, size, || {
        let mut done = 0;
        while done < size {
            let n = if technique == "splice" {
                let n = sys::splice::splice(
                    from.as_fd(),
                    None,
                    pipe.1.as_fd(),
                    None,
                    (size - done).min(LIBRARY_PIPE),
                    SpliceFFlags::empty(),
                )?;
                let mut at = done as i64;
                drain_pipe(&pipe, file.as_fd(), Some(&mut at), n)?;
                n
            } else {
                let want = buffer.len().min(size - done);
                let n = (&from).read(&mut buffer[..want])?;
                file.write_all_at(&buffer[..n], done as u64)?;
                n
            };
            if n == 0 {
                return Err("feed ended".into());
            }
            done += n;
        }
        Ok(size)
    })?;
    if file.metadata()?.len() != size as u64 {
        return Err(format!("socket_to_file {technique}: file has the wrong size").into());
    }
    drop(from);
    feeder.join().map_err(|_| "feeder panicked")?;
    std::fs::remove_file(path)?;
    Ok(sample)
}

/// A stream duplicated: `size` bytes of a fed socket relayed to a drained socket and stored
/// in a cached file. `tee`: splice socket -> pipe A, tee A -> pipe B, splice A -> socket and
/// B -> file; `readwrite`: read once into a 1 MiB buffer, write it to both.
fn tee(settings: &Settings, technique: &'static str, size: usize) -> Result<Sample> {
    let (feed_in, from) = tcp_pair()?;
    let feeder = feeder(feed_in);
    let (to, drain_out) = tcp_pair()?;
    let drain = drain(drain_out);
    let (file, path) = random_file(&settings.dir, 0)?;
    let a = blocking_pipe(LIBRARY_PIPE)?;
    let b = blocking_pipe(LIBRARY_PIPE)?;
    let mut buffer = vec![0u8; MIB];
    let mut sent = 0u64;
    let sample = measure(settings, "TeeBench", technique, size, || {
        let mut done = 0;
        while done < size {
            if technique == "tee" {
                let n = sys::splice::splice(
                    from.as_fd(),
                    None,
                    a.1.as_fd(),
                    None,
                    (size - done).min(LIBRARY_PIPE),
                    SpliceFFlags::empty(),
                )?;
                if n == 0 {
                    return Err("feed ended".into());
                }
                // tee copies from A's head without consuming: consume each run before the next.
                let mut copied = 0;
                while copied < n {
                    let t = sys::splice::tee(
                        a.0.as_fd(),
                        b.1.as_fd(),
                        n - copied,
                        SpliceFFlags::empty(),
                    )?;
                    drain_pipe(&a, to.as_fd(), None, t)?;
                    let mut at = (done + copied) as i64;
                    drain_pipe(&b, file.as_fd(), Some(&mut at), t)?;
                    copied += t;
                }
                done += n;
            } else {
                let want = buffer.len().min(size - done);
                let n = (&from).read(&mut buffer[..want])?;
                if n == 0 {
                    return Err("feed ended".into());
                }
                (&to).write_all(&buffer[..n])?;
                file.write_all_at(&buffer[..n], done as u64)?;
                done += n;
            }
        }
        sent += size as u64;
        Ok(size)
    })?;
    to.shutdown(Shutdown::Write)?;
    check_drained(drain, sent)?;
    if file.metadata()?.len() != size as u64 {
        return Err(format!("tee {technique}: file has the wrong size").into());
    }
    drop(from);
    feeder.join().map_err(|_| "feeder panicked")?;
    std::fs::remove_file(path)?;
    Ok(sample)
}

/// A cached file mapped read-only. `mmap_read`: mapped once, every operation reads all of
/// it as u64s; `mmap_cycle`: map, read one byte, unmap.
fn map(settings: &Settings, technique: &'static str, size: usize) -> Result<Sample> {
    let (file, path) = random_file(&settings.dir, size)?;
    // SAFETY: the file is ours, private to this process, and not truncated while mapped.
    let mapped = unsafe { memmap2::Mmap::map(&file)? };
    let sample = measure(settings, "MapBench", technique, size, || {
        if technique == "mmap_read" {
            // A mapping is page-aligned, so this is every byte as u64s (prefix and suffix empty).
            // SAFETY: any bit pattern is a valid u64.
            let (_, words, _) = unsafe { mapped.align_to::<u64>() };
            // Native order: a byte swap per word would be scalar here (baseline x86-64 has no
            // SSSE3), while the JIT's getLong loop uses the CPU's vector byte shuffles.
            let sum = words.iter().fold(0u64, |sum, &w| sum.wrapping_add(w));
            std::hint::black_box(sum);
        } else {
            // SAFETY: as above.
            let cycle = unsafe { memmap2::MmapOptions::new().len(size).map(&file)? };
            std::hint::black_box(cycle[size / 2]);
        }
        Ok(size)
    })?;
    drop(mapped);
    std::fs::remove_file(path)?;
    Ok(sample)
}

fn small(settings: &Settings, technique: &'static str, length: usize) -> Result<Sample> {
    let (file, path) = random_file(&settings.dir, 4096)?;
    let (read, write) = nix::unistd::pipe()?;
    let dev_null = OpenOptions::new().write(true).open("/dev/null")?;
    let mut back = vec![0u8; 4096];
    let sample = measure(settings, "SmallTransferBench", technique, length, || {
        let mut offset = 0i64;
        match technique {
            "sendfile_null" => Ok(sys::sendfile::sendfile(
                dev_null.as_fd(),
                file.as_fd(),
                &mut offset,
                length,
            )?),
            _ => {
                let n = sys::splice::splice(
                    file.as_fd(),
                    Some(&mut offset),
                    write.as_fd(),
                    None,
                    length,
                    SpliceFFlags::empty(),
                )?;
                let mut left = n;
                while left > 0 {
                    left -= if technique == "splice_pipe_null" {
                        sys::splice::splice(
                            read.as_fd(),
                            None,
                            dev_null.as_fd(),
                            None,
                            left,
                            SpliceFFlags::empty(),
                        )?
                    } else {
                        nix::unistd::read(&read, &mut back[..left])?
                    };
                }
                Ok(n)
            }
        }
    })?;
    std::fs::remove_file(path)?;
    Ok(sample)
}

/// file -> pipe -> output, one pipeful at a time, as the library's transfer loop does.
fn splice_through(
    input: &File,
    mut in_offset: Option<&mut i64>,
    pipe: &(OwnedFd, OwnedFd),
    output: std::os::fd::BorrowedFd<'_>,
    mut out_offset: Option<&mut i64>,
    size: usize,
) -> Result<()> {
    let mut done = 0;
    while done < size {
        let n = sys::splice::splice(
            input.as_fd(),
            in_offset.as_deref_mut(),
            pipe.1.as_fd(),
            None,
            (size - done).min(LIBRARY_PIPE),
            SpliceFFlags::empty(),
        )?;
        if n == 0 {
            return Err("input ended early".into());
        }
        drain_pipe(pipe, output, out_offset.as_deref_mut(), n)?;
        done += n;
    }
    Ok(())
}

fn drain_pipe(
    pipe: &(OwnedFd, OwnedFd),
    output: std::os::fd::BorrowedFd<'_>,
    mut out_offset: Option<&mut i64>,
    n: usize,
) -> Result<()> {
    let mut left = n;
    while left > 0 {
        left -= sys::splice::splice(
            pipe.0.as_fd(),
            None,
            output,
            out_offset.as_deref_mut(),
            left,
            SpliceFFlags::empty(),
        )?;
    }
    Ok(())
}

/// A blocking pipe (the library's own are non-blocking because the JVM must never sleep
/// in the kernel holding a lock; here nothing else runs) of the given capacity.
fn blocking_pipe(capacity: usize) -> Result<(OwnedFd, OwnedFd)> {
    let (read, write) = nix::unistd::pipe()?;
    sys::pipe::set_capacity(write.as_fd(), capacity)?;
    Ok((read, write))
}

fn tcp_pair() -> Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

/// A reader thread that reads everything into user memory until end of stream.
fn drain(mut from: impl Read + Send + 'static) -> JoinHandle<std::io::Result<u64>> {
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; MIB];
        let mut total = 0u64;
        loop {
            match from.read(&mut buffer)? {
                0 => return Ok(total),
                n => total += n as u64,
            }
        }
    })
}

fn check_drained(drain: JoinHandle<std::io::Result<u64>>, sent: u64) -> Result<()> {
    let received = drain.join().map_err(|_| "drain panicked")??;
    if received != sent {
        return Err(format!("drain received {received} bytes, sent {sent}").into());
    }
    Ok(())
}

/// A new unlinked-at-the-end file of `size` pseudo-random bytes, left in the page cache.
fn random_file(dir: &Path, size: usize) -> Result<(File, PathBuf)> {
    let path = dir.join(format!(
        "zerocopy-limit-{}-{}-{}.bin",
        std::process::id(),
        size,
        unique()
    ));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ size as u64;
    let mut chunk = vec![0u8; MIB];
    let mut done = 0;
    while done < size {
        for word in chunk.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let n = chunk.len().min(size - done);
        file.write_all(&chunk[..n])?;
        done += n;
    }
    Ok((file, path))
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn to_json(profile: &str, samples: &[Sample]) -> String {
    let rows: Vec<String> = samples
        .iter()
        .map(|s| {
            format!(
                "    {{\"scenario\": \"{}\", \"technique\": \"{}\", \"size\": {}, \"bytesPerSecond\": {:.1}, \"nsPerOp\": {:.3}}}",
                s.scenario, s.technique, s.size, s.bytes_per_second, s.ns_per_op
            )
        })
        .collect();
    format!(
        "{{\n  \"profile\": \"{profile}\",\n  \"kernel\": \"{}\",\n  \"results\": [\n{}\n  ]\n}}\n",
        kernel(),
        rows.join(",\n")
    )
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
