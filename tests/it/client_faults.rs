//! Faults between the client and an instance (issue 7): each test provokes one, bounded in
//! time, and asserts the typed error and that its message tells a person what to do.

use crate::support::client as client_support;

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use client_support::*;
use snow_connect::servicenow::{
    Client, ClientOptions, Error, ProxyConfig, ProxySettings, Record, TableQuery,
};
use tokio::io::AsyncWriteExt;

fn client_for(url: &str) -> Client {
    Client::new(base(url), creds(), &opts()).unwrap()
}

fn client_with(url: &str, o: &ClientOptions) -> Client {
    Client::new(base(url), creds(), o).unwrap()
}

/// What probing `url` fails with.
async fn probe_error(url: &str) -> Error {
    client_for(url).probe().await.unwrap_err()
}

/// Options that trust the CA in `pem`, as `--ca-file` does.
fn trusting(pem: &tempfile::NamedTempFile) -> ClientOptions {
    ClientOptions {
        ca_file: Some(pem.path().to_path_buf()),
        ..opts()
    }
}

fn short_timeouts() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(400),
        ..opts()
    }
}

async fn page_error(api: Vec<u8>) -> Error {
    let addr = instance_answering(api).await;
    client_for(&format!("http://{addr}"))
        .get_page(&TableQuery::new("incident"))
        .await
        .unwrap_err()
}

fn html(status: &str, title: &str) -> Vec<u8> {
    let body = format!(
        "<!DOCTYPE html><html><head><title>{title}</title><style>body{{}}</style></head><body><h1>{title}</h1>{}</body></html>",
        "<p>details</p>".repeat(400)
    );
    http_response(
        status,
        &[("Content-Type", "text/html; charset=utf-8")],
        body.as_bytes(),
    )
}

#[tokio::test]
async fn connection_refused() {
    bounded(async {
        let port = closed_port();
        let err = probe_error(&format!("http://127.0.0.1:{port}")).await;
        assert!(
            matches!(&err, Error::ConnectionRefused { host } if host == &format!("127.0.0.1:{port}")),
            "{err:?}"
        );
        assert!(err.to_string().contains("check the instance URL and port"), "{err}");
        assert!(err.is_unreachable());
    })
    .await;
}

#[tokio::test]
async fn a_name_that_does_not_resolve() {
    bounded(async {
        let err = probe_error("https://acme.invalid").await;
        match &err {
            Error::Dns { host, suggestion } => {
                assert_eq!(host, "acme.invalid");
                assert_eq!(suggestion.as_deref(), Some("https://acme.service-now.com"));
            }
            other => panic!("{other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("did you mean https://acme.service-now.com"),
            "{msg}"
        );
    })
    .await;
}

#[tokio::test]
async fn tls_spoken_to_a_plain_http_port() {
    bounded(async {
        // Like any HTTP server, it answers 400 to the bytes of a TLS ClientHello.
        let addr = raw_server(|mut s| async move {
            let mut buf = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
            let _ = s
                .write_all(&http_response(
                    "400 Bad Request",
                    &[("Connection", "close")],
                    b"",
                ))
                .await;
        })
        .await;
        let err = probe_error(&format!("https://localhost:{}", addr.port())).await;
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("did not answer in TLS"), "{msg}");
        assert!(
            msg.contains(&format!("use http://localhost:{}", addr.port())),
            "{msg}"
        );
    })
    .await;
}

#[tokio::test]
async fn plain_http_spoken_to_a_tls_port() {
    bounded(async {
        let tls = tls_material(&["localhost"], false);
        let addr = tls_canned(tls.server, real_401()).await;
        let err = probe_error(&format!("http://127.0.0.1:{}", addr.port())).await;
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("expects TLS"), "{msg}");
        assert!(
            msg.contains(&format!("use https://127.0.0.1:{}", addr.port())),
            "{msg}"
        );
    })
    .await;
}

#[tokio::test]
async fn https_with_a_ca_from_ca_file() {
    bounded(async {
        let tls = tls_material(&["localhost", "127.0.0.1"], false);
        let addr = tls_canned(tls.server.clone(), real_401()).await;
        let url = format!("https://localhost:{}", addr.port());

        let err = probe_error(&url).await;
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("unknown issuer"), "{msg}");
        assert!(msg.contains("--ca-file"), "{msg}");

        let pem = pem_file(&tls.ca_pem);
        let o = trusting(&pem);
        client_with(&url, &o)
            .probe()
            .await
            .expect("trusted through --ca-file");
        // The IP address is in the certificate too.
        client_with(&format!("https://127.0.0.1:{}", addr.port()), &o)
            .probe()
            .await
            .expect("IP SAN");
    })
    .await;
}

/// Probe `https://localhost:PORT` of a TLS server made from `tls`, trusting its CA.
async fn probe_localhost_trusting(tls: TlsMaterial) -> Error {
    let addr = tls_canned(tls.server, real_401()).await;
    let pem = pem_file(&tls.ca_pem);
    client_with(
        &format!("https://localhost:{}", addr.port()),
        &trusting(&pem),
    )
    .probe()
    .await
    .unwrap_err()
}

#[tokio::test]
async fn certificate_problems_in_plain_words() {
    bounded(async {
        let err = probe_localhost_trusting(tls_material(&["other.example"], false)).await;
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        assert!(err.to_string().contains("hostname mismatch"), "{err}");
        assert!(err.to_string().contains("not valid for localhost"), "{err}");

        let err = probe_localhost_trusting(tls_material(&["localhost"], true)).await;
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        assert!(err.to_string().contains("has expired"), "{err}");
    })
    .await;
}

#[test]
fn a_bad_ca_file_is_a_setup_error_naming_the_file() {
    let missing = std::path::PathBuf::from("/nonexistent/corp-ca.pem");
    let o = ClientOptions {
        ca_file: Some(missing.clone()),
        ..opts()
    };
    let err = Client::http_client(&o).unwrap_err();
    assert!(matches!(err, Error::Setup(_)), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/corp-ca.pem"),
        "{err}"
    );

    let mut garbage = tempfile::NamedTempFile::new().unwrap();
    garbage.write_all(b"this is not a certificate\n").unwrap();
    let o = ClientOptions {
        ca_file: Some(garbage.path().to_path_buf()),
        ..opts()
    };
    let err = Client::http_client(&o).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&garbage.path().display().to_string()), "{msg}");
    assert!(msg.contains("BEGIN CERTIFICATE"), "{msg}");
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers() {
    bounded(async {
        let held = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = held.clone();
        let addr = raw_server(move |s| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(s);
            }
        })
        .await;
        let started = Instant::now();
        let err = client_with(&format!("http://{addr}"), &short_timeouts())
            .probe()
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            matches!(
                err,
                Error::Timeout {
                    request_sent: true,
                    ..
                }
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("did not answer within 400 ms"), "{msg}");
        assert!(msg.contains("HTTPS_PROXY"), "{msg}");
    })
    .await;
}

#[tokio::test]
async fn headers_then_a_stalled_body() {
    bounded(async {
        let held = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = held.clone();
        let addr = raw_server(move |mut s| {
            let keep = keep.clone();
            async move {
                let _ = read_request(&mut s).await;
                let _ = s
                    .write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"error\":")
                    .await;
                keep.lock().unwrap().push(s);
            }
        })
        .await;
        let err = client_with(&format!("http://{addr}"), &short_timeouts())
            .probe()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Timeout { request_sent: true, .. }),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_connection_cut_in_the_middle_of_the_body() {
    bounded(async {
        let addr = raw_server(|mut s| async move {
            let _ = read_request(&mut s).await;
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"result\":[")
                .await;
        })
        .await;
        let err = probe_error(&format!("http://{addr}")).await;
        assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
        assert!(err.to_string().contains("in the middle of the answer"), "{err}");
        assert!(err.to_string().contains("retry"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_connection_closed_without_an_answer() {
    bounded(async {
        let addr = raw_server(|mut s| async move {
            let _ = read_request(&mut s).await;
        })
        .await;
        let err = probe_error(&format!("http://{addr}")).await;
        assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
        assert!(err.to_string().contains("without answering"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn truncated_json() {
    bounded(async {
        let err = page_error(http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            br#"{"result":[{"number":"INC0000001"},{"numb"#,
        ))
        .await;
        match &err {
            Error::InvalidResponse { reason, .. } => {
                assert!(reason.contains("cut short"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("retry"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn invalid_utf8() {
    bounded(async {
        let mut body = br#"{"result":[{"number":""#.to_vec();
        body.extend_from_slice(&[0xC3, 0x28, 0xFF]);
        body.extend_from_slice(br#""}]}"#);
        let err = page_error(http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            &body,
        ))
        .await;
        assert!(
            matches!(&err, Error::InvalidResponse { reason, .. } if reason.contains("UTF-8")),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn json_of_the_wrong_shape() {
    bounded(async {
        let err = page_error(http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            br#"{"records":[]}"#,
        ))
        .await;
        assert!(
            matches!(&err, Error::InvalidResponse { reason, .. } if reason.contains("\"result\"")),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_body_larger_than_the_cap() {
    bounded(async {
        let big = format!(
            "{{\"result\":[{}]}}",
            vec!["{\"a\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"; 200].join(",")
        );
        let o = ClientOptions {
            max_body_bytes: 1024,
            ..opts()
        };
        // Announced by Content-Length: refused before reading.
        let addr = instance_answering(http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            big.as_bytes(),
        ))
        .await;
        let err = client_with(&format!("http://{addr}"), &o)
            .get_page(&TableQuery::new("incident"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::BodyTooLarge { limit: 1024, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("larger than 1024 bytes"), "{err}");

        // Chunked, no length: cut off while streaming.
        let mut chunked = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for piece in big.as_bytes().chunks(500) {
            chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let addr = instance_answering(chunked).await;
        let client = client_with(&format!("http://{addr}"), &o);
        let err = client
            .get_page(&TableQuery::new("incident"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
        assert!(client.stats().bytes < 4096, "{:?}", client.stats());
    })
    .await;
}

#[tokio::test]
async fn gzip_encoded_answers_work() {
    bounded(async {
        let json = format!(
            "{{\"result\":[{}]}}",
            (0..50)
                .map(|i| format!("{{\"number\":\"INC{i:07}\"}}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(json.as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        assert!(gz.len() < json.len());
        let addr = instance_answering(http_response(
            "200 OK",
            &[
                ("Content-Type", "application/json;charset=UTF-8"),
                ("Content-Encoding", "gzip"),
                ("X-Total-Count", "50"),
            ],
            &gz,
        ))
        .await;
        let client = client_for(&format!("http://{addr}"));
        let page = client.get_page(&TableQuery::new("incident")).await.unwrap();
        assert_eq!(page.records.len(), 50);
        assert_eq!(page.body_bytes, json.len(), "size after decompression");

        // A corrupt gzip stream is an invalid answer, not a panic or a hang.
        let mut broken = gz.clone();
        let mid = broken.len() / 2;
        broken[mid..].iter_mut().for_each(|b| *b = !*b);
        let err = page_error(http_response(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            &broken,
        ))
        .await;
        assert!(
            matches!(
                err,
                Error::InvalidResponse { .. } | Error::Interrupted { .. }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_client_asks_for_gzip() {
    bounded(async {
        let (addr, seen) = canned(real_401()).await;
        client_for(&format!("http://{addr}")).probe().await.unwrap();
        let req = seen.lock().unwrap()[0].to_ascii_lowercase();
        assert!(req.contains("accept-encoding: gzip"), "{req}");
    })
    .await;
}

#[tokio::test]
async fn server_errors_with_html_bodies_are_summarised() {
    bounded(async {
        for (status, title) in [
            ("500 Internal Server Error", "Internal Error"),
            ("502 Bad Gateway", "502 Bad Gateway"),
            ("503 Service Unavailable", "Service Unavailable"),
        ] {
            let err = page_error(html(status, title)).await;
            let code: u16 = status[..3].parse().unwrap();
            match &err {
                Error::Server { status, message } => {
                    assert_eq!(*status, code);
                    assert_eq!(message, &format!("a page titled \"{title}\""));
                }
                other => panic!("{other:?}"),
            }
            let msg = err.to_string();
            assert!(!msg.contains('<'), "HTML dumped: {msg}");
            assert!(msg.len() < 300, "{msg}");
            assert!(msg.contains("retry later"), "{msg}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_redirect_to_a_single_sign_on_page() {
    bounded(async {
        let (addr, _) = canned(http_response(
            "302 Found",
            &[(
                "Location",
                "https://sso.acme.com/adfs/ls/?SAMLRequest=fZJNb9swDIbv%2BxWC7o5t2k",
            )],
            b"",
        ))
        .await;
        let client = client_for(&format!("http://{addr}"));
        for err in [
            client.probe().await.unwrap_err(),
            client.authenticate().await.unwrap_err(),
        ] {
            match &err {
                Error::Redirected {
                    location, status, ..
                } => {
                    assert_eq!(location, "https://sso.acme.com/adfs/ls/");
                    assert_eq!(*status, 302);
                }
                other => panic!("{other:?}"),
            }
            assert!(err.to_string().contains("login/SSO page"), "{err}");
            assert!(!err.to_string().contains("SAMLRequest"), "{err}");
        }
    })
    .await;
}

#[tokio::test]
async fn rate_limited_with_a_huge_retry_after_is_reported_not_waited_on() {
    bounded(async {
        let started = Instant::now();
        let err = page_error(http_response(
            "429 Too Many Requests",
            &[
                ("Content-Type", "application/json"),
                ("Retry-After", "86400000"),
                ("X-RateLimit-Limit", "10"),
                ("X-RateLimit-Reset", "1767225600"),
                ("X-RateLimit-Rule", "d4ae72f61b2b3010b0ae0b38dc4bcb2f"),
            ],
            br#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#,
        ))
        .await;
        assert!(started.elapsed() < Duration::from_secs(5));
        match &err {
            Error::RateLimited {
                retry_after,
                limit,
                reset,
                rule,
                message,
            } => {
                assert_eq!(*retry_after, Some(Duration::from_secs(86_400_000)));
                assert_eq!(*limit, Some(10));
                assert_eq!(*reset, Some(1_767_225_600));
                assert_eq!(rule.as_deref(), Some("d4ae72f61b2b3010b0ae0b38dc4bcb2f"));
                assert_eq!(message.message, "Rate limit exceeded");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("retry after 24000h 0m"), "{err}");
    })
    .await;
}

const HIBERNATING: &str = r#"<html><head><style>body { background-color: #293D40; font-family: Gilroy; }</style></head><body>
<div class="instance-hibernating-page">
  <h1>Your instance is hibernating</h1>
  <p class="information">Sign in to the site to wake your instance</p>
  <button onclick="location.href='https://developer.servicenow.com/dev.do#!/home?wu=true';" class ="button-text">Sign in</button>
</div></body></html>"#;

#[tokio::test]
async fn the_hibernation_page() {
    bounded(async {
        let (addr, _) = canned(http_response(
            "200 OK",
            &[("Content-Type", "text/html;charset=UTF-8")],
            HIBERNATING.as_bytes(),
        ))
        .await;
        let client = client_for(&format!("http://{addr}"));
        for err in [
            client.probe().await.unwrap_err(),
            client.authenticate().await.unwrap_err(),
            client
                .get_page(&TableQuery::new("incident"))
                .await
                .unwrap_err(),
        ] {
            assert!(matches!(err, Error::Hibernating), "{err:?}");
            assert!(err.to_string().contains("developer.servicenow.com"));
        }
    })
    .await;
}

#[tokio::test]
async fn an_instance_that_is_currently_offline() {
    bounded(async {
        let (addr, _) = canned(http_response(
            "503 Service Unavailable",
            &[("Content-Type", "text/html")],
            b"<html><body><h1>Your instance is currently offline</h1></body></html>",
        ))
        .await;
        let err = probe_error(&format!("http://{addr}")).await;
        assert!(matches!(err, Error::Offline), "{err:?}");
        assert!(err.to_string().contains("five minutes"));
    })
    .await;
}

#[tokio::test]
async fn a_login_page_instead_of_json() {
    bounded(async {
        let (addr, _) = canned(http_response(
            "200 OK",
            &[("Content-Type", "text/html")],
            b"<html><head><title>Log in | Acme</title></head><form action=\"login.do\"><input type=\"password\" name=\"user_password\"></form></html>",
        ))
        .await;
        let err = probe_error(&format!("http://{addr}")).await;
        match &err {
            Error::NotJson {
                status,
                content_type,
                hint,
                url,
            } => {
                assert_eq!(*status, 200);
                assert_eq!(content_type, "text/html");
                assert_eq!(hint, "a login page");
                assert!(url.ends_with("/api/now/table/sys_db_object"), "{url}");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("check the instance URL"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn json_that_is_not_servicenow() {
    bounded(async {
        let (addr, _) = canned(http_response(
            "401 Unauthorized",
            &[("Content-Type", "application/json")],
            br#"{"message":"Unauthorized"}"#,
        ))
        .await;
        let err = probe_error(&format!("http://{addr}")).await;
        assert!(
            matches!(&err, Error::InvalidResponse { reason, .. } if reason.contains("envelope")),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_securely_scoped_client() {
    bounded(async {
        let err = page_error(http_response(
            "403 Forbidden",
            &[("Content-Type", "application/json;charset=UTF-8")],
            br#"{"error":{"message":"User Not Authorized","detail":"Access to unscoped api is not allowed"},"status":"failure"}"#,
        ))
        .await;
        assert!(
            matches!(&err, Error::SecurelyScoped(m) if m.message == "User Not Authorized"),
            "{err:?}"
        );
        assert!(err.to_string().contains("broad scope"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_forbidden_read_keeps_servicenows_words() {
    bounded(async {
        let err = page_error(http_response(
            "403 Forbidden",
            &[("Content-Type", "application/json")],
            br#"{"error":{"message":"Insufficient rights to query records","detail":"Field(s) present in the query do not have permission to be read\u001b[2J"},"status":"failure"}"#,
        ))
        .await;
        match &err {
            Error::Forbidden(m) => {
                assert_eq!(m.message, "Insufficient rights to query records");
                // Control characters from the server are shown, not sent to the terminal.
                assert_eq!(
                    m.detail.as_deref(),
                    Some("Field(s) present in the query do not have permission to be read^[[2J")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("lacks a role or ACL"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_post_that_times_out_after_sending_is_not_resent() {
    bounded(async {
        let posts = Arc::new(AtomicUsize::new(0));
        let counter = posts.clone();
        let held = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = held.clone();
        let addr = raw_server(move |mut s| {
            let counter = counter.clone();
            let keep = keep.clone();
            async move {
                loop {
                    let req = read_request(&mut s).await;
                    if req.is_empty() {
                        return;
                    }
                    if req.starts_with("POST /oauth_token.do") {
                        let token = http_response(
                            "200 OK",
                            &[("Content-Type", "application/json")],
                            br#"{"access_token":"tok","scope":"useraccount","expires_in":1799}"#,
                        );
                        if s.write_all(&token).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    keep.lock().unwrap().push(s);
                    return;
                }
            }
        })
        .await;
        let client = client_with(&format!("http://{addr}"), &short_timeouts());
        let body: Record = serde_json::from_str(r#"{"short_description":"x"}"#).unwrap();
        let err = client.create_record("incident", &body).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Timeout {
                    request_sent: true,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("may have reached it"), "{err}");
        assert_eq!(posts.load(Ordering::SeqCst), 1);
    })
    .await;
}

fn via_proxy(proxy: std::net::SocketAddr, userinfo: &str, no_proxy: Option<&str>) -> ProxyConfig {
    ProxyConfig::Manual(ProxySettings {
        https: Some(format!("http://{userinfo}{proxy}")),
        no_proxy: no_proxy.map(str::to_string),
        source: "HTTPS_PROXY".into(),
    })
}

#[tokio::test]
async fn https_through_a_connect_proxy_with_credentials() {
    bounded(async {
        // The instance's name is not resolvable here: only the proxy can reach it, as in a
        // locked-down corporate network. The proxy sends the tunnel to our TLS server.
        let tls = tls_material(&["acme.service-now.com"], false);
        let upstream = tls_canned(tls.server.clone(), real_401()).await;
        let proxy = connect_proxy(upstream, None).await;
        let pem = pem_file(&tls.ca_pem);
        let o = ClientOptions {
            proxy: via_proxy(proxy.addr, "finops:pr%40xy%3Apw@", None),
            ..trusting(&pem)
        };
        client_with("acme", &o)
            .probe()
            .await
            .expect("through the proxy");
        let seen = proxy.seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(
            seen[0].starts_with("CONNECT acme.service-now.com:443 HTTP/1.1"),
            "{}",
            seen[0]
        );
        // finops:pr@xy:pw
        assert!(
            seen[0]
                .to_ascii_lowercase()
                .contains("proxy-authorization: basic zmlub3bzonbyqhh5onb3"),
            "{}",
            seen[0]
        );
    })
    .await;
}

#[tokio::test]
async fn loopback_and_no_proxy_hosts_go_direct() {
    bounded(async {
        let proxy = connect_proxy(closed_socket_addr(), None).await;
        // Loopback: always direct, even with no NO_PROXY at all.
        let (addr, _) = canned(real_401()).await;
        let o = ClientOptions {
            proxy: via_proxy(proxy.addr, "", None),
            ..opts()
        };
        client_with(&format!("http://{addr}"), &o)
            .probe()
            .await
            .unwrap();
        client_with(&format!("http://localhost:{}", addr.port()), &o)
            .probe()
            .await
            .unwrap();
        // NO_PROXY: the name is looked up directly (and does not exist).
        let o = ClientOptions {
            proxy: via_proxy(proxy.addr, "", Some("example.net, .invalid")),
            ..opts()
        };
        let err = client_with("https://acme.invalid", &o)
            .probe()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Dns { .. }), "{err:?}");
        assert!(proxy.seen.lock().unwrap().is_empty());
    })
    .await;
}

fn closed_socket_addr() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], closed_port()))
}

#[tokio::test]
async fn proxy_failures_name_the_proxy() {
    bounded(async {
        let closed = closed_socket_addr();
        let o = ClientOptions {
            proxy: via_proxy(closed, "", None),
            ..opts()
        };
        let err = client_with("acme", &o).probe().await.unwrap_err();
        match &err {
            Error::ConnectionRefused { host } => {
                assert_eq!(
                    host,
                    &format!("proxy 127.0.0.1:{} (from HTTPS_PROXY)", closed.port())
                )
            }
            other => panic!("{other:?}"),
        }

        let needs_auth = connect_proxy(closed, Some("407 Proxy Authentication Required")).await;
        let o = ClientOptions {
            proxy: via_proxy(needs_auth.addr, "", None),
            ..opts()
        };
        let err = client_with("acme", &o).probe().await.unwrap_err();
        assert!(matches!(err, Error::Connect { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("HTTPS_PROXY=http://user:password@proxy:port"),
            "{msg}"
        );

        let refusing = connect_proxy(closed, Some("403 Forbidden")).await;
        let o = ClientOptions {
            proxy: via_proxy(refusing.addr, "u:secret-proxy-pw@", None),
            ..opts()
        };
        let err = client_with("acme", &o).probe().await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("refused to open a tunnel to acme.service-now.com"),
            "{msg}"
        );
        assert!(!msg.contains("secret-proxy-pw"), "{msg}");
    })
    .await;
}

/// `HTTPS_PROXY`, `NO_PROXY` and `SSL_CERT_FILE` are read from the real environment. The
/// environment is process-wide, so the check runs in a child process (this same test binary,
/// filtered to this test) with only those variables set.
#[tokio::test]
async fn environment_proxy_and_ssl_cert_file_are_honoured() {
    if let Ok(port) = std::env::var("SNOW_CONNECT_TEST_CHILD_PORT") {
        // Child: default options read everything from the environment.
        let o = ClientOptions {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            ..ClientOptions::default()
        };
        assert_eq!(o.proxy, ProxyConfig::FromEnv);
        Client::new(base("acme"), creds(), &o)
            .unwrap()
            .probe()
            .await
            .expect("through HTTPS_PROXY, trusted through SSL_CERT_FILE");
        // Loopback goes direct even though HTTPS_PROXY is set.
        Client::new(base(&format!("https://localhost:{port}")), creds(), &o)
            .unwrap()
            .probe()
            .await
            .expect("loopback, direct");
        // NO_PROXY sends .invalid names direct (and they do not resolve).
        let err = Client::new(base("https://acme.invalid"), creds(), &o)
            .unwrap()
            .probe()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Dns { .. }), "{err:?}");
        return;
    }
    bounded(async {
        let tls = tls_material(&["acme.service-now.com", "localhost"], false);
        let upstream = tls_canned(tls.server.clone(), real_401()).await;
        let proxy = connect_proxy(upstream, None).await;
        let pem = pem_file(&tls.ca_pem);
        let mut cmd = tokio::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "client_faults::environment_proxy_and_ssl_cert_file_are_honoured",
            "--nocapture",
        ]);
        for var in [
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "no_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "SSL_CERT_DIR",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("SNOW_CONNECT_TEST_CHILD_PORT", upstream.port().to_string())
            .env("HTTPS_PROXY", format!("http://{}", proxy.addr))
            .env("NO_PROXY", ".invalid")
            .env("SSL_CERT_FILE", pem.path());
        let out = cmd.kill_on_drop(true).output().await.unwrap();
        assert!(
            out.status.success(),
            "child failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let seen = proxy.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].starts_with("CONNECT acme.service-now.com:443 "));
    })
    .await;
}

#[tokio::test]
async fn an_absurd_total_count_is_refused_not_followed() {
    bounded(async {
        let err = page_error_all(http_response(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("X-Total-Count", "18446744073709551615"),
            ],
            br#"{"result":[{"number":"INC0000001"}]}"#,
        ))
        .await;
        assert!(
            matches!(&err, Error::InvalidResponse { reason, .. } if reason.contains("at most 1000 pages")),
            "{err:?}"
        );
    })
    .await;
}

async fn page_error_all(api: Vec<u8>) -> Error {
    let addr = instance_answering(api).await;
    client_for(&format!("http://{addr}"))
        .get_all(&TableQuery::new("incident").limit(1))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_link_header_that_loops_is_not_followed_forever() {
    bounded(async {
        let err = page_error_all(http_response(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                (
                    "Link",
                    "<https://x.service-now.com/api/now/table/incident?sysparm_offset=1&sysparm_limit=1>;rel=\"next\"",
                ),
            ],
            br#"{"result":[{"number":"INC0000001"}]}"#,
        ))
        .await;
        assert!(
            matches!(&err, Error::InvalidResponse { reason, .. } if reason.contains("already read")),
            "{err:?}"
        );
    })
    .await;
}

/// A one-purpose SOCKS5 server (no authentication, CONNECT only) that sends every tunnel for
/// `name` to `upstream`, as `ssh -D` would into the instance's network. It records what was
/// asked for and stops by itself after `max` connections or when dropped.
struct Socks5 {
    addr: std::net::SocketAddr,
    asked: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Socks5 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn socks5(name: &'static str, upstream: std::net::SocketAddr, max: usize) -> Socks5 {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&asked);
    let task = tokio::spawn(async move {
        for _ in 0..max {
            let Ok((mut c, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut head = [0u8; 2];
                c.read_exact(&mut head).await?;
                let mut methods = vec![0u8; usize::from(head[1])];
                c.read_exact(&mut methods).await?;
                c.write_all(&[5, 0]).await?;
                let mut req = [0u8; 4];
                c.read_exact(&mut req).await?;
                let host = match req[3] {
                    3 => {
                        let len = c.read_u8().await?;
                        let mut n = vec![0u8; usize::from(len)];
                        c.read_exact(&mut n).await?;
                        String::from_utf8_lossy(&n).into_owned()
                    }
                    1 => {
                        let mut ip = [0u8; 4];
                        c.read_exact(&mut ip).await?;
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    _ => return Ok::<(), std::io::Error>(()),
                };
                let port = c.read_u16().await?;
                seen.lock().unwrap().push(format!("{host}:{port}"));
                if req[1] != 1 || host != name || port != 443 {
                    // 4: host unreachable.
                    c.write_all(&[5, 4, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
                    return Ok(());
                }
                let mut up = tokio::net::TcpStream::connect(upstream).await?;
                c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
                tokio::io::copy_bidirectional(&mut c, &mut up).await?;
                Ok(())
            });
        }
    });
    Socks5 { addr, asked, task }
}

/// The `ssh -D` pattern end to end: `ALL_PROXY=socks5h://…` carries `check` to an instance
/// name that does not resolve here, through a SOCKS5 server that reaches the simulator (whose
/// certificate carries that name thanks to `--tls-name`). The config keeps its secrets in a
/// command and a private file, so those paths run for real too.
#[tokio::test]
async fn check_reaches_an_instance_through_a_socks5h_tunnel() {
    use std::os::unix::fs::PermissionsExt;
    use tokio::io::AsyncBufReadExt;
    const NAME: &str = "acme.service-now.com";
    let sim_home = crate::support::bin::scratch();
    let mut sim = crate::support::bin::tokio_command(&sim_home)
        .args(["simulator", "--tls", "--tls-name", NAME])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the simulator");
    let mut lines = tokio::io::BufReader::new(sim.stdout.take().unwrap()).lines();
    let (mut base, mut ca) = (String::new(), String::new());
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if base.is_empty() {
                base = line.trim().to_string();
            } else if let Some(p) = line.trim().strip_prefix("ca_cert ") {
                ca = p.trim().to_string();
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the simulator printed its URL and CA");
    let port: u16 = base.rsplit(':').next().unwrap().parse().expect("port");
    let proxy = socks5(NAME, ([127, 0, 0, 1], port).into(), 64).await;

    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("client-secret");
    std::fs::write(&secret_file, "demo-secret\n").unwrap();
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[servicenow]\ninstance_url = \"https://{NAME}\"\n\
             client_id = \"4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f\"\n\
             client_secret_file = \"{}\"\nusername = \"finout.integration\"\n\
             password_command = \"printf demo-password\"\n",
            secret_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = crate::support::bin::tokio_command(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["check", "--json", "--log-file"])
        .arg(dir.path().join("check.log"))
        .env("ALL_PROXY", format!("socks5h://{}", proxy.addr))
        .env("SSL_CERT_FILE", &ca)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), out)
        .await
        .expect("check finished")
        .expect("run check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let asked = proxy.asked.lock().unwrap().clone();
    assert!(
        asked.iter().any(|a| a == &format!("{NAME}:443")),
        "the tunnel was asked for by name: {asked:?}\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert!(stdout.contains(NAME), "{doc}");
    assert!(!stdout.contains("demo-password") && !stderr.contains("demo-password"));
}
