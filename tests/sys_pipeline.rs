//! Cross-module behaviour of `sys`: the chains the Java side builds, on real descriptors.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;

use nix::fcntl::SpliceFFlags;
use zerocopy_jni::sys::{fd, pipe, poll, sendfile, splice};

fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    (client, server)
}

fn temp_file(bytes: &[u8], tag: &str) -> std::fs::File {
    let path = std::env::temp_dir().join(format!("zerocopy-it-{}-{tag}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .expect("create");
    std::fs::remove_file(&path).expect("unlink");
    file.write_all(bytes).expect("write");
    file
}

/// file --sendfile--> socket --splice--> pipe --splice--> file: every byte arrives in order.
#[test]
fn file_to_socket_to_pipe_to_file_keeps_every_byte() {
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let source = temp_file(&data, "src");
    let target = temp_file(b"", "dst");
    let (client, server) = tcp_pair();
    let (pipe_r, pipe_w) = pipe::pipe().expect("pipe");
    pipe::set_capacity(pipe_w.as_fd(), 1 << 20).expect("F_SETPIPE_SZ");

    let sender = std::thread::spawn(move || {
        let mut offset = 0i64;
        while (offset as usize) < 3_000_000 {
            let n = sendfile::sendfile(client.as_fd(), source.as_fd(), &mut offset, 3_000_000)
                .expect("sendfile");
            assert!(n > 0);
        }
        drop(client);
    });

    let mut out_offset = 0i64;
    loop {
        // The socket is blocking: wait for it, as the Java side does, before splicing.
        if poll::wait(server.as_fd(), poll::READABLE, 1000).expect("poll") == 0 {
            continue;
        }
        let n = splice::splice(
            server.as_fd(),
            None,
            pipe_w.as_fd(),
            None,
            1 << 20,
            SpliceFFlags::SPLICE_F_NONBLOCK,
        )
        .expect("splice socket -> pipe");
        if n == 0 {
            break;
        }
        assert_eq!(pipe::available(pipe_r.as_fd()).expect("FIONREAD"), n);
        let mut left = n;
        while left > 0 {
            left -= splice::splice(
                pipe_r.as_fd(),
                None,
                target.as_fd(),
                Some(&mut out_offset),
                left,
                SpliceFFlags::SPLICE_F_NONBLOCK,
            )
            .expect("splice pipe -> file");
        }
    }
    sender.join().expect("sender");
    assert_eq!(out_offset, 3_000_000);
    let mut copy = Vec::new();
    let mut target = target;
    std::io::Seek::rewind(&mut target).expect("rewind");
    target.read_to_end(&mut copy).expect("read back");
    assert!(copy == data, "the file differs from what was sent");
}

#[test]
fn describe_tells_the_java_side_what_each_end_is() {
    let (client, _server) = tcp_pair();
    let (r, w) = pipe::pipe().expect("pipe");
    let file = temp_file(b"x", "describe");
    let kind = |bits: i32| bits & 0xf;
    assert_eq!(
        kind(fd::describe(client.as_fd()).expect("socket")),
        fd::Kind::Socket as i32
    );
    assert_eq!(
        kind(fd::describe(r.as_fd()).expect("pipe")),
        fd::Kind::Pipe as i32
    );
    assert_ne!(
        fd::describe(w.as_fd()).expect("pipe") & fd::NONBLOCKING,
        0,
        "library pipes never block"
    );
    assert_eq!(
        fd::describe(file.as_fd()).expect("file"),
        fd::Kind::File as i32 | fd::CAN_READ | fd::CAN_WRITE
    );
}
