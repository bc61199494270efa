//! Loopback servers of the tests' own, for what real servers can't be made to do: a thread per
//! connection with the request's head parsed, and a CONNECT-tunnelling proxy.

use std::net::TcpListener;

/// A request's head as a loopback server reads it: the request line's words, and the headers.
pub struct Head {
    pub line: Vec<String>,
    pub headers: Vec<(String, String)>,
}

/// Serves each connection to a loopback port on its own thread: `serve` gets the connection,
/// a reader past the request's head, and the head. Returns the port's `127.0.0.1:PORT`.
pub fn on_loopback(
    serve: impl Fn(std::net::TcpStream, std::io::BufReader<std::net::TcpStream>, Head)
        + Send
        + Sync
        + 'static,
) -> String {
    use std::io::BufRead;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let serve = std::sync::Arc::new(serve);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let serve = serve.clone();
            std::thread::spawn(move || {
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut headers = Vec::new();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = header.split_once(':') {
                        headers.push((k.to_string(), v.trim().to_string()));
                    }
                }
                let line = line.split_whitespace().map(str::to_string).collect();
                serve(stream, reader, Head { line, headers });
            });
        }
    });
    addr
}

/// An HTTP proxy on loopback that tunnels CONNECT requests (how ureq goes through a proxy) and
/// counts them.
pub fn tunnelling_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::Write;
    let tunnels = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = tunnels.clone();
    let addr = on_loopback(move |mut client, mut reader, head| {
        let (Some("CONNECT"), Some(target)) =
            (head.line.first().map(String::as_str), head.line.get(1))
        else {
            let _ = client.write_all(b"HTTP/1.1 405 X\r\nContent-Length: 0\r\n\r\n");
            return;
        };
        let upstream = std::net::TcpStream::connect(target).unwrap();
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut up_write);
            let _ = up_write.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut up_read, &mut client);
    });
    (addr, tunnels)
}
