//! Sync end to end over real QUIC on loopback: offline work on both sides, a link cut in the
//! middle of a backlog, resumption without loss or duplicates, scope, and identities pinned in
//! the TLS handshake (unknown and revoked keys refused).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use nhip::engine::body::{ItemCreated, Known};
use nhip::engine::{ChainId, Draft, EventId, EventLog, NodeId, PersonId, RedbLog, UnitId, node_id};
use nhip::protocol::{Config, Directory, Scope, Side, Sync, TreeScope};
use nhip_node::daemon;
use nhip_node::tls::Admission;
use nhip_node::transport::{self, LinkReport, Mode};
use tokio::sync::watch;

const T0: u64 = 1_758_560_400_000;

struct Units(BTreeMap<NodeId, UnitId>);
impl Directory for Units {
    fn unit_of(&self, node: &NodeId) -> Option<UnitId> {
        self.0.get(node).cloned()
    }
}

/// The parent's list of enrolled children; a test can revoke one.
struct Children(Mutex<BTreeSet<NodeId>>);
impl Children {
    fn lock_add(&self, node: NodeId) {
        self.0.lock().unwrap().insert(node);
    }
}

impl Admission for Children {
    fn admits(&self, node: &NodeId) -> bool {
        self.0.lock().unwrap().contains(node)
    }
}

struct Site {
    key: SigningKey,
    unit: UnitId,
    log: Arc<RedbLog>,
    _dir: tempfile::TempDir,
    next: u128,
}

impl Site {
    fn new(seed: u8, unit: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_bytes(&[seed; 32]);
        let log = Arc::new(RedbLog::create(&dir.path().join("log.redb"), node_id(&key)).unwrap());
        Site {
            key,
            unit: UnitId::new(unit).unwrap(),
            log,
            _dir: dir,
            next: u128::from(seed) << 64,
        }
    }

    fn id(&self) -> NodeId {
        node_id(&self.key)
    }

    fn work(&mut self, unit: &str, count: usize, per_append: usize) {
        let mut left = count;
        while left > 0 {
            let n = per_append.min(left);
            let drafts: Vec<Draft> = (0..n)
                .map(|_| {
                    self.next += 1;
                    Draft {
                        id: EventId(uuid::Uuid::from_u128(self.next)),
                        actor: PersonId::new("can-bo").unwrap(),
                        unit: UnitId::new(unit).unwrap(),
                        seen: None,
                        body: Known::ItemCreated(ItemCreated::simple(
                            "document",
                            format!("Thu gom rác thải sinh hoạt, đợt {}", self.next % 997),
                            UnitId::new(unit).unwrap(),
                            None,
                        ))
                        .to_body(),
                    }
                })
                .collect();
            self.log.append(&self.key, T0, drafts).unwrap();
            left -= n;
        }
    }

    fn events(&self) -> u64 {
        self.log
            .heads()
            .unwrap()
            .values()
            .map(|head| head.seq.0)
            .sum()
    }

    fn replayed(&self) -> u64 {
        nhip::engine::replay(self.log.as_ref()).unwrap().events
    }
}

struct Parent {
    site: Site,
    addr: SocketAddr,
    children: Arc<Children>,
    node: daemon::Node,
    _endpoint: nhip_node::quinn::Endpoint,
}

fn directory(parent: &Site, child: &Site, extra: &[(NodeId, &str)]) -> Arc<Units> {
    let mut map = BTreeMap::from([
        (parent.id(), parent.unit.clone()),
        (child.id(), child.unit.clone()),
    ]);
    for (node, unit) in extra {
        map.insert(*node, UnitId::new(unit).unwrap());
    }
    Arc::new(Units(map))
}

/// Starts the parent's server: every admitted child gets a live link.
fn serve(site: Site, child: &Site, directory: Arc<Units>) -> Parent {
    let children = Arc::new(Children(Mutex::new(BTreeSet::from([child.id()]))));
    let endpoint =
        transport::server_endpoint("127.0.0.1:0".parse().unwrap(), &site.key, children.clone())
            .unwrap();
    let addr = endpoint.local_addr().unwrap();
    let node = daemon::Node::new(
        site.key.clone(),
        site.unit.clone(),
        site.log.clone(),
        directory,
    );
    tokio::spawn(daemon::serve(
        endpoint.clone(),
        node.clone(),
        None,
        std::future::pending(),
    ));
    Parent {
        site,
        addr,
        children,
        node,
        _endpoint: endpoint,
    }
}

impl Parent {
    fn link(&self) -> daemon::Parent {
        daemon::Parent {
            addr: self.addr,
            node: self.site.id(),
        }
    }
}

/// A connection of `child` to its parent: the handshake done, nothing said yet.
async fn connect(
    child: &Site,
    parent: &Parent,
) -> (nhip_node::quinn::Endpoint, nhip_node::quinn::Connection) {
    let endpoint =
        transport::client_endpoint("127.0.0.1:0".parse().unwrap(), &child.key, parent.site.id())
            .unwrap();
    let connection = transport::connect(&endpoint, parent.addr).await.unwrap();
    (endpoint, connection)
}

/// One sync of `child` with its parent, with the standard scope.
async fn sync_once(
    child: &Site,
    parent: &Parent,
    directory: &Arc<Units>,
) -> Result<LinkReport, transport::TransportError> {
    let endpoint =
        transport::client_endpoint("127.0.0.1:0".parse().unwrap(), &child.key, parent.site.id())?;
    let node = daemon::Node::new(
        child.key.clone(),
        child.unit.clone(),
        child.log.clone(),
        directory.clone(),
    );
    let report = daemon::sync_with_parent(&endpoint, &node, &parent.link(), Mode::Once).await;
    endpoint.wait_idle().await;
    report
}

/// One sync of `child` with its parent, with a machine built by the test.
async fn sync_with_machine(
    child: &Site,
    parent: &Parent,
    scope: Box<dyn Scope>,
) -> Result<LinkReport, transport::TransportError> {
    let endpoint =
        transport::client_endpoint("127.0.0.1:0".parse().unwrap(), &child.key, parent.site.id())?;
    let connection = transport::connect(&endpoint, parent.addr).await?;
    let machine = Sync::new(
        Config {
            signer: child.key.clone(),
            unit: child.unit.clone(),
            expected_peer: Some(parent.site.id()),
        },
        scope,
    );
    let log: Arc<dyn EventLog> = child.log.clone();
    let changes = Arc::new(watch::channel(0u64).0);
    let report = transport::run_link(
        connection,
        true,
        machine,
        log,
        Mode::Once,
        changes,
        &mut |_| {},
    )
    .await;
    endpoint.wait_idle().await;
    report
}

fn child_scope(child: &Site, directory: &Arc<Units>) -> Box<dyn Scope> {
    Box::new(TreeScope::new(
        Side::Child,
        child.unit.clone(),
        directory.clone(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_work_on_both_sides_meets_in_one_sync() {
    let mut commune = Site::new(1, "tinh/xa-binh-lu");
    let mut village = Site::new(2, "tinh/xa-binh-lu/ban-na-ri");
    village.work("tinh/xa-binh-lu/ban-na-ri", 300, 25);
    commune.work("tinh/xa-binh-lu", 120, 40);
    commune.work("tinh/xa-binh-lu/ban-na-ri", 10, 10);
    commune.work("tinh/xa-binh-lu/ban-phin", 50, 50); // the sibling's: stays at the commune
    let units = directory(&commune, &village, &[]);
    let parent = serve(commune, &village, units.clone());

    let report = sync_once(&village, &parent, &units).await.unwrap();
    assert!(report.caught_up, "{report:?}");
    assert_eq!(report.delivered, 300);
    assert_eq!(report.received, 130);
    assert!(report.refusals.is_empty(), "{:?}", report.refusals);
    assert!(!report.receipts.is_empty());
    for receipt in &report.receipts {
        let body = receipt.verify().expect("the parent's receipt verifies");
        assert_eq!(body.receiver, parent.site.id());
    }
    assert_eq!(parent.site.events(), 300 + 180);
    assert_eq!(parent.site.replayed(), 480, "no duplicates at the parent");
    assert_eq!(village.events(), 300 + 130);
    assert_eq!(village.replayed(), 430);
    assert!(
        !village
            .log
            .heads()
            .unwrap()
            .keys()
            .any(|chain| chain.unit.as_str().ends_with("ban-phin")),
        "a sibling's chain reached the village"
    );

    // A second sync finds nothing to do.
    let again = sync_once(&village, &parent, &units).await.unwrap();
    assert!(again.caught_up);
    assert_eq!((again.delivered, again.received), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_cut_mid_backlog_resumes_without_loss_or_duplicates() {
    let commune = Site::new(3, "tinh/xa-binh-lu");
    let mut village = Site::new(4, "tinh/xa-binh-lu/ban-na-ri");
    village.work("tinh/xa-binh-lu/ban-na-ri", 30_000, 1_000);
    let units = directory(&commune, &village, &[]);
    let parent = serve(commune, &village, units.clone());

    // First attempt: cut the connection once part of the backlog has landed.
    let (_endpoint, connection) = connect(&village, &parent).await;
    let cutter = connection.clone();
    let machine = Sync::new(
        Config {
            signer: village.key.clone(),
            unit: village.unit.clone(),
            expected_peer: Some(parent.site.id()),
        },
        child_scope(&village, &units),
    );
    let log: Arc<dyn EventLog> = village.log.clone();
    let link = tokio::spawn(async move {
        transport::run_link(
            connection,
            true,
            machine,
            log,
            Mode::Once,
            Arc::new(watch::channel(0u64).0),
            &mut |_| {},
        )
        .await
    });
    let parent_log = parent.site.log.clone();
    let mut waited = 0;
    while parent_log
        .heads()
        .unwrap()
        .values()
        .map(|h| h.seq.0)
        .sum::<u64>()
        < 1_000
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += 1;
        assert!(waited < 4_000, "the backlog never started to arrive");
    }
    cutter.close(nhip_node::quinn::VarInt::from_u32(9), b"cable cut");
    let first = link.await.unwrap();
    let held_after_cut = parent.site.events();
    assert!(
        first.is_err() || !first.as_ref().unwrap().caught_up,
        "the cut must interrupt the first link"
    );
    assert!(
        held_after_cut < 30_000,
        "the cut came too late to test anything"
    );

    // Second attempt: resumes from the parent's heads.
    let second = sync_once(&village, &parent, &units).await.unwrap();
    assert!(second.caught_up);
    assert_eq!(
        second.delivered,
        30_000 - held_after_cut,
        "resumed, not restarted"
    );
    assert_eq!(parent.site.events(), 30_000);
    assert_eq!(parent.site.replayed(), 30_000, "every event exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_revoked_keys_are_refused_in_the_handshake() {
    let commune = Site::new(5, "tinh/xa-binh-lu");
    let village = Site::new(6, "tinh/xa-binh-lu/ban-na-ri");
    let mut stranger = Site::new(7, "tinh/xa-binh-lu/ban-na-ri");
    stranger.work("tinh/xa-binh-lu/ban-na-ri", 5, 5);
    let units = directory(&commune, &village, &[]);
    let parent = serve(commune, &village, units.clone());

    // In TLS 1.3 the client finishes its half of the handshake first, so the parent's refusal
    // of the client's certificate arrives as the handshake alert that ends the connection.
    let refused = sync_once(&stranger, &parent, &units).await;
    let Err(transport::TransportError::Refused(reason)) = refused else {
        panic!("{refused:?}")
    };
    assert!(reason.contains("not an enrolled child"), "{reason}");
    assert_eq!(parent.site.events(), 0);

    // The enrolled village connects, then is revoked and cannot any more.
    assert!(sync_once(&village, &parent, &units).await.is_ok());
    parent.children.0.lock().unwrap().remove(&village.id());
    let revoked = sync_once(&village, &parent, &units).await;
    assert!(
        matches!(revoked, Err(transport::TransportError::Refused(_))),
        "{revoked:?}"
    );

    // A parent impostor: the village pinned the commune's key, not this one.
    let impostor = serve(Site::new(8, "tinh/xa-binh-lu"), &village, units.clone());
    let endpoint = transport::client_endpoint(
        "127.0.0.1:0".parse().unwrap(),
        &village.key,
        parent.site.id(),
    )
    .unwrap();
    assert!(transport::connect(&endpoint, impostor.addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_cannot_upload_another_subtrees_chains() {
    let commune = Site::new(9, "tinh/xa-binh-lu");
    let mut village = Site::new(10, "tinh/xa-binh-lu/ban-na-ri");
    let mut sibling = Site::new(11, "tinh/xa-binh-lu/ban-phin");
    sibling.work("tinh/xa-binh-lu/ban-phin", 8, 8);
    let chain = ChainId {
        origin: sibling.id(),
        unit: sibling.unit.clone(),
    };
    let batch = sibling
        .log
        .batch_from(&chain, nhip::engine::Seq(1), 100, usize::MAX)
        .unwrap()
        .unwrap();
    village.log.ingest(T0, &batch).unwrap();
    village.work("tinh/xa-binh-lu/ban-na-ri", 12, 12);
    let units = directory(
        &commune,
        &village,
        &[(sibling.id(), "tinh/xa-binh-lu/ban-phin")],
    );
    let parent = serve(commune, &village, units);

    struct Everything;
    impl Scope for Everything {
        fn may_send(&self, _: &ChainId) -> bool {
            true
        }
        fn may_receive(&self, _: &ChainId) -> bool {
            true
        }
    }
    let report = sync_with_machine(&village, &parent, Box::new(Everything))
        .await
        .unwrap();
    assert!(report.caught_up, "the connection goes on after a refusal");
    assert_eq!(report.refusals.len(), 1, "{:?}", report.refusals);
    assert!(!parent.site.log.heads().unwrap().contains_key(&chain));
    assert_eq!(parent.site.events(), 12);
    // The parent's status board saw the link and the refusal.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = parent.node.status.snapshot();
    let seen = &status[&village.id()];
    assert_eq!(seen.events_received, 12);
    assert_eq!(seen.refusals.len(), 1, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watching_child_is_live_and_reconnects_after_the_parent_restarts() {
    let commune = Site::new(12, "tinh/xa-binh-lu");
    let mut village = Site::new(13, "tinh/xa-binh-lu/ban-na-ri");
    let units = directory(&commune, &village, &[]);
    let admission = Arc::new(Children(Mutex::new(BTreeSet::from([village.id()]))));
    let parent_node = daemon::Node::new(
        commune.key.clone(),
        commune.unit.clone(),
        commune.log.clone(),
        units.clone(),
    );
    let start_parent = |addr: SocketAddr| {
        let endpoint = transport::server_endpoint(addr, &commune.key, admission.clone()).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let local = endpoint.local_addr().unwrap();
        tokio::spawn(daemon::serve(
            endpoint,
            parent_node.clone(),
            None,
            async move {
                let _ = stopped.await;
            },
        ));
        (local, stop)
    };
    let (addr, stop_parent) = start_parent("127.0.0.1:0".parse().unwrap());

    let child_node = daemon::Node::new(
        village.key.clone(),
        village.unit.clone(),
        village.log.clone(),
        units.clone(),
    );
    let link = daemon::Parent {
        addr,
        node: commune.id(),
    };
    let (stop_watch, watch_stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = {
        let child_node = child_node.clone();
        tokio::spawn(async move {
            let endpoint = transport::client_endpoint(
                "127.0.0.1:0".parse().unwrap(),
                &child_node.key,
                link.node,
            )
            .unwrap();
            daemon::sync_watch(
                &endpoint,
                &child_node,
                &link,
                async move {
                    let _ = watch_stopped.await;
                },
                |_, _| {},
            )
            .await;
        })
    };

    let wait_for = |count: u64| {
        let log = commune.log.clone();
        async move {
            let started = std::time::Instant::now();
            while log.heads().unwrap().values().map(|h| h.seq.0).sum::<u64>() < count {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "never reached {count}"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            started.elapsed()
        }
    };
    // Let the link come up and catch up, then write: the event must cross within a second.
    tokio::time::sleep(Duration::from_millis(300)).await;
    village.work("tinh/xa-binh-lu/ban-na-ri", 5, 5);
    child_node.notify_changed();
    let latency = wait_for(5).await;
    assert!(
        latency < Duration::from_secs(1),
        "live event took {latency:?}"
    );

    // The parent goes away; the village keeps working offline.
    let _ = stop_parent.send(());
    tokio::time::sleep(Duration::from_millis(300)).await;
    village.work("tinh/xa-binh-lu/ban-na-ri", 3, 3);
    child_node.notify_changed();
    // The parent comes back on the same address; the watcher reconnects by itself.
    let (_, stop_again) = start_parent(addr);
    wait_for(8).await;
    assert_eq!(
        nhip::engine::replay(commune.log.as_ref()).unwrap().events,
        8
    );

    let _ = stop_watch.send(());
    watcher.await.unwrap();
    let _ = stop_again.send(());
    let status = child_node.status.snapshot();
    assert!(status[&commune.id()].last_success_ms.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_closed_and_holds_no_slot() {
    let commune = Site::new(40, "tinh/xa-binh-lu");
    let mut village = Site::new(41, "tinh/xa-binh-lu/ban-na-ri");
    village.work("tinh/xa-binh-lu/ban-na-ri", 7, 7);
    let units = directory(&commune, &village, &[]);
    let parent = serve(commune, &village, units.clone());

    // An enrolled key completes the handshake, then says nothing at all.
    let (_endpoint, silent) = connect(&village, &parent).await;
    let started = std::time::Instant::now();

    // Meanwhile the same village, speaking, syncs as usual.
    let report = sync_once(&village, &parent, &units).await.unwrap();
    assert!(report.caught_up);
    assert_eq!(parent.site.events(), 7);

    let closed = tokio::time::timeout(Duration::from_secs(60), silent.closed())
        .await
        .expect("the parent closes a silent connection");
    let waited = started.elapsed();
    let nhip_node::quinn::ConnectionError::ApplicationClosed(close) = closed else {
        panic!("{closed:?}")
    };
    assert_eq!(
        close.error_code,
        nhip_node::quinn::VarInt::from_u32(nhip::protocol::CloseCode::Timeout as u32)
    );
    assert!(
        String::from_utf8_lossy(&close.reason).contains("no hello"),
        "{close:?}"
    );
    let allowed = Duration::from_millis(nhip::protocol::limits::HELLO_WITHIN_MS);
    assert!(
        waited + Duration::from_secs(1) >= allowed && waited < allowed * 2,
        "closed after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_connection_attempts_at_once() {
    let commune = Site::new(42, "tinh/xa-binh-lu");
    let mut village = Site::new(43, "tinh/xa-binh-lu/ban-na-ri");
    village.work("tinh/xa-binh-lu/ban-na-ri", 9, 9);
    let units = directory(&commune, &village, &[]);
    let parent = serve(commune, &village, units.clone());

    // 300 strangers at once, each with a key of its own: every one is refused in the
    // handshake, and the parent stays up.
    let mut attempts = tokio::task::JoinSet::new();
    for n in 0..300u32 {
        let mut seed = [0x5a; 32];
        seed[..4].copy_from_slice(&n.to_le_bytes());
        let key = SigningKey::from_bytes(&seed);
        let pinned = parent.site.id();
        let addr = parent.addr;
        attempts.spawn(async move {
            let endpoint =
                transport::client_endpoint("127.0.0.1:0".parse().unwrap(), &key, pinned).unwrap();
            let outcome = match transport::connect(&endpoint, addr).await {
                // TLS 1.3: the client may finish first and learn of the refusal just after.
                Ok(connection) => {
                    match tokio::time::timeout(Duration::from_secs(20), connection.closed()).await {
                        Ok(error) => Err(error.to_string()),
                        Err(_) => Ok(()),
                    }
                }
                Err(error) => Err(error.to_string()),
            };
            endpoint.close(nhip_node::quinn::VarInt::from_u32(0), b"");
            outcome
        });
    }
    let mut refused = 0;
    while let Some(outcome) = attempts.join_next().await {
        assert!(outcome.unwrap().is_err(), "a stranger got in");
        refused += 1;
    }
    assert_eq!(refused, 300);
    assert_eq!(parent.site.events(), 0);

    // The enrolled village is served as if nothing happened.
    let report = sync_once(&village, &parent, &units).await.unwrap();
    assert!(report.caught_up);
    assert_eq!(parent.site.events(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_child_cannot_hold_the_slots_of_the_others() {
    let commune = Site::new(31, "xa");
    let mut greedy = Site::new(32, "xa/ban-a");
    let mut other = Site::new(33, "xa/ban-b");
    greedy.work("xa/ban-a", 3, 3);
    other.work("xa/ban-b", 4, 4);
    let units = directory(&commune, &greedy, &[(other.id(), "xa/ban-b")]);
    let parent = serve(commune, &greedy, units.clone());
    parent.children.lock_add(other.id());
    // The greedy village opens twenty connections and keeps them: the parent keeps two (a
    // live link and one reconnection) and closes the rest at once, saying why.
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(connect(&greedy, &parent).await);
    }
    let mut closed = 0;
    for (_, connection) in &held {
        if let Ok(error) = tokio::time::timeout(Duration::from_secs(2), connection.closed()).await {
            assert!(
                error.to_string().contains("too many connections"),
                "{error}"
            );
            closed += 1;
        }
    }
    assert_eq!(closed, 18, "two connections stay, eighteen are closed");
    // Another village is served as if nothing happened.
    let report = sync_once(&other, &parent, &units).await.unwrap();
    assert!(report.caught_up);
    assert_eq!(parent.site.events(), 4);
}
