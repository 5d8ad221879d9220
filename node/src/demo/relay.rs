//! The demo's stand-in for a village's network: a UDP relay between a village node and its
//! commune that can be cut and restored, as the mountain link is. Nothing in the nodes knows it
//! is there; they see a parent that stops answering, then answers again.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::watch;

/// A relay from a child's sockets to its parent's QUIC address.
pub(super) struct Relay {
    /// Where the child reaches its parent: the relay's near end.
    pub addr: SocketAddr,
    cut: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Starts relaying datagrams between the child and `parent`. Each socket of the child (the
    /// one that joined, the one its running node syncs from) gets a far socket of its own, as a
    /// NAT gives it, so late datagrams of one never misdirect the other's.
    pub async fn start(parent: SocketAddr) -> std::io::Result<Relay> {
        let near = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = near.local_addr()?;
        let (cut, is_cut) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut far_ends: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
            let mut downlinks = tokio::task::JoinSet::new();
            let mut datagram = vec![0u8; 65_536];
            loop {
                // An error here is an ICMP report about a socket of the child that closed (the
                // one that joined): the relay carries on for the others.
                let Ok((length, from)) = near.recv_from(&mut datagram).await else {
                    continue;
                };
                if *is_cut.borrow() {
                    continue;
                }
                let far = match far_ends.get(&from) {
                    Some(far) => far.clone(),
                    None => {
                        let Ok(far) = UdpSocket::bind("127.0.0.1:0").await else {
                            continue;
                        };
                        if far.connect(parent).await.is_err() {
                            continue;
                        }
                        let far = Arc::new(far);
                        far_ends.insert(from, far.clone());
                        downlinks.spawn(downlink(far.clone(), near.clone(), from, is_cut.clone()));
                        far
                    }
                };
                let _ = far.send(&datagram[..length]).await;
            }
        });
        Ok(Relay { addr, cut, task })
    }

    /// The link goes down: every datagram either way is lost until [`Relay::restore`].
    pub fn cut(&self) {
        let _ = self.cut.send(true);
    }

    /// The link comes back.
    pub fn restore(&self) {
        let _ = self.cut.send(false);
    }
}

/// Carries the parent's datagrams from `far` back to the child's socket `child`.
async fn downlink(
    far: Arc<UdpSocket>,
    near: Arc<UdpSocket>,
    child: SocketAddr,
    is_cut: watch::Receiver<bool>,
) {
    let mut datagram = vec![0u8; 65_536];
    loop {
        let Ok(length) = far.recv(&mut datagram).await else {
            // The parent is not there (yet, or any more): an ICMP error; keep listening.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let open = !*is_cut.borrow();
        if open {
            let _ = near.send_to(&datagram[..length], child).await;
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}
