//! TLS for QUIC with identities pinned by ed25519 key: no certificate authority, no passwords.
//!
//! Each node presents a self-signed certificate made from its own node key. Each side accepts
//! the other only if the certificate's key is one it pinned: the child pins its parent's key at
//! enrollment; the parent accepts the keys of its enrolled, unrevoked children. The handshake
//! signature is verified against the pinned key itself, so nothing else in the certificate
//! matters. TLS 1.3 only; 0-RTT is off.

use std::fmt;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use nhip_engine::NodeId;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, SubjectPublicKeyInfoDer,
    UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// The ALPN protocol name of Nhịp sync.
pub const ALPN: &[u8] = b"nhip/1";

/// The server name clients ask for; identities come from keys, not names.
pub const SERVER_NAME: &str = "nhip";

/// DER prefix of an ed25519 SubjectPublicKeyInfo (RFC 8410); the key's 32 bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// DER prefix of an ed25519 PKCS#8 v1 private key (RFC 8410); the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Who may connect to this node (as a child), asked during every handshake.
pub trait Admission: Send + Sync {
    /// Whether `node` is an enrolled, unrevoked child.
    fn admits(&self, node: &NodeId) -> bool;
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Making the certificate failed.
    #[error("cannot make the node certificate: {0}")]
    Certificate(String),
    /// rustls or quinn refused the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn spki_of(node: &NodeId) -> Vec<u8> {
    let mut spki = ED25519_SPKI_PREFIX.to_vec();
    spki.extend_from_slice(&node.0);
    spki
}

/// The node key a certificate carries, if it is an ed25519 certificate.
pub fn node_of_certificate(certificate: &CertificateDer<'_>) -> Option<NodeId> {
    let parsed = webpki::EndEntityCert::try_from(certificate).ok()?;
    let spki = parsed.subject_public_key_info();
    let key = spki.as_ref().strip_prefix(&ED25519_SPKI_PREFIX[..])?;
    Some(NodeId(key.try_into().ok()?))
}

/// A self-signed certificate for `key`, and the key in PKCS#8 for rustls.
fn certificate(
    key: &SigningKey,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let mut pkcs8 = ED25519_PKCS8_PREFIX.to_vec();
    pkcs8.extend_from_slice(&key.to_bytes());
    let pkcs8 = PrivatePkcs8KeyDer::from(pkcs8);
    let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_ED25519)
        .map_err(|error| TlsError::Certificate(error.to_string()))?;
    let params = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])
        .map_err(|error| TlsError::Certificate(error.to_string()))?;
    let cert = params
        .self_signed(&key_pair)
        .map_err(|error| TlsError::Certificate(error.to_string()))?;
    Ok((cert.der().clone(), PrivateKeyDer::Pkcs8(pkcs8)))
}

/// Verifies a TLS 1.3 handshake signature against `node`'s key alone.
fn verify_signature(
    algorithms: &WebPkiSupportedAlgorithms,
    node: &NodeId,
    message: &[u8],
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    let spki = spki_of(node);
    rustls::crypto::verify_tls13_signature_with_raw_key(
        message,
        &SubjectPublicKeyInfoDer::from(spki.as_slice()),
        dss,
        algorithms,
    )
}

/// The client's check of its parent: exactly the pinned key.
struct PinnedParent {
    parent: NodeId,
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for PinnedParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PinnedParent({})", self.parent.short())
    }
}

impl ServerCertVerifier for PinnedParent {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match node_of_certificate(end_entity) {
            Some(node) if node == self.parent => Ok(ServerCertVerified::assertion()),
            Some(node) => Err(rustls::Error::General(format!(
                "the server is node {}, not the pinned parent {}",
                node.short(),
                self.parent.short()
            ))),
            None => Err(rustls::Error::General(
                "the server's certificate carries no ed25519 node key".into(),
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("TLS 1.2 is not used".into()))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_signature(&self.algorithms, &self.parent, message, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// The server's check of a child: an admitted key, whose signature is then checked against
/// that key alone.
struct AdmittedChildren {
    admission: Arc<dyn Admission>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for AdmittedChildren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdmittedChildren")
    }
}

impl ClientCertVerifier for AdmittedChildren {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        match node_of_certificate(end_entity) {
            Some(node) if self.admission.admits(&node) => Ok(ClientCertVerified::assertion()),
            Some(node) => Err(rustls::Error::General(format!(
                "node {} is not an enrolled child of this node (unknown or revoked)",
                node.short()
            ))),
            None => Err(rustls::Error::General(
                "the client's certificate carries no ed25519 node key".into(),
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("TLS 1.2 is not used".into()))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let node = node_of_certificate(cert).ok_or_else(|| {
            rustls::Error::General("the client's certificate carries no node key".into())
        })?;
        verify_signature(&self.algorithms, &node, message, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// rustls configuration for a node that accepts children.
pub fn server_config(
    key: &SigningKey,
    admission: Arc<dyn Admission>,
) -> Result<rustls::ServerConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(AdmittedChildren {
        admission,
        algorithms: provider.signature_verification_algorithms,
    });
    let (cert, private) = certificate(key)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|error| TlsError::Config(error.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![cert], private)
        .map_err(|error| TlsError::Config(error.to_string()))?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    config.max_early_data_size = 0;
    Ok(config)
}

/// rustls configuration for a node connecting to its pinned parent.
pub fn client_config(key: &SigningKey, parent: NodeId) -> Result<rustls::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(PinnedParent {
        parent,
        algorithms: provider.signature_verification_algorithms,
    });
    let (cert, private) = certificate(key)?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|error| TlsError::Config(error.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(vec![cert], private)
        .map_err(|error| TlsError::Config(error.to_string()))?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    config.enable_early_data = false;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_carries_the_node_key() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let (cert, _) = certificate(&key).unwrap();
        assert_eq!(node_of_certificate(&cert), Some(nhip_engine::node_id(&key)));
        assert_eq!(
            node_of_certificate(&CertificateDer::from(vec![1, 2, 3])),
            None
        );
    }
}
