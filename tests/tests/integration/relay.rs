//! A TCP relay that can reset or freeze every connection it carries: peers
//! that vanish with an RST, or silently (power loss, partition).

use std::net::SocketAddr;

use tokio::net::TcpListener;

/// A TCP relay between clients and `upstream` that can reset or freeze every
/// connection it carries, and records every byte sent back to clients.
pub(crate) struct Relay {
    pub(crate) addr: SocketAddr,
    /// Everything `upstream` sent to clients, in order per connection.
    pub(crate) downstream: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    mode: tokio::sync::watch::Sender<RelayMode>,
}

/// What a [`Relay`] does with its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RelayMode {
    Forward,
    /// Closes both sides with a TCP RST.
    Reset,
    /// Stops forwarding but keeps both sockets open: a peer that vanished
    /// without a FIN or RST (power loss, partition).
    Freeze,
}

impl Relay {
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let downstream = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (mode, modes) = tokio::sync::watch::channel(RelayMode::Forward);
        let recorded = downstream.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                tokio::spawn(relay(client, server, modes.clone(), recorded.clone()));
            }
        });
        Self {
            addr,
            downstream,
            mode,
        }
    }

    /// Closes every relayed connection with a TCP RST, on both sides.
    pub(crate) fn reset_all(&self) {
        self.mode.send_replace(RelayMode::Reset);
    }

    /// Stops forwarding on every connection, leaving the sockets open.
    pub(crate) fn freeze_all(&self) {
        self.mode.send_replace(RelayMode::Freeze);
    }
}

async fn relay(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    mut mode: tokio::sync::watch::Receiver<RelayMode>,
    recorded: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let stopped = {
        let upstream = async {
            let mut buffer = vec![0; 16 * 1024];
            while let Ok(read @ 1..) = client_read.read(&mut buffer).await {
                if server_write.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
            let _ = server_write.shutdown().await;
        };
        let downstream = async {
            let mut buffer = vec![0; 16 * 1024];
            while let Ok(read @ 1..) = server_read.read(&mut buffer).await {
                if let Ok(mut bytes) = recorded.lock() {
                    bytes.extend_from_slice(&buffer[..read]);
                }
                if client_write.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
            let _ = client_write.shutdown().await;
        };
        tokio::select! {
            () = async { tokio::join!(upstream, downstream); } => None,
            mode = mode.wait_for(|mode| *mode != RelayMode::Forward) => mode.ok().map(|mode| *mode),
        }
    };
    if stopped == Some(RelayMode::Freeze) {
        // Hold both sockets, silent, until told to reset or the relay is dropped.
        let _ = mode.wait_for(|mode| *mode == RelayMode::Reset).await;
    }
    if stopped.is_some() {
        // SO_LINGER 0 turns the close into an RST.
        let client = client_read.reunite(client_write).expect("same socket");
        let server = server_read.reunite(server_write).expect("same socket");
        for socket in [&client, &server] {
            socket.set_zero_linger().expect("set SO_LINGER 0");
        }
    }
}
