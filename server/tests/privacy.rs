//! The collector's privacy surface: site settings (API, the agent's settings request with
//! CORS credentials), opt-out pages and cookies, GPC, blocked tag keys, and no IP at rest.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use insp_agent::event::Body as EnvBody;
use insp_agent::settings::{SettingsReply, SiteSettings};

const ORIGIN: &str = "https://shop.example";

async fn settings_req(h: &Harness, wid: u64, origin: Option<&str>, cookie: Option<&str>, gpc: bool) -> Reply {
    let mut req = Request::get(format!("/i/v1/settings?wid={wid}"));
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if gpc {
        req = req.header("sec-gpc", "1");
    }
    h.send(req.body(Body::empty()).unwrap()).await
}

async fn put_settings(h: &Harness, wid: u64, json: &str) -> Reply {
    let req = Request::put(format!("/api/sites/{wid}/settings"))
        .header(header::AUTHORIZATION, format!("Bearer {KEY}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json.to_owned()))
        .unwrap();
    h.send(req).await
}

fn reply_of(r: &Reply) -> SettingsReply {
    SettingsReply::decode(&r.bytes).expect("a postcard SettingsReply")
}

#[tokio::test]
async fn settings_api_defaults_partial_updates_and_validation() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    let r = h.api(&format!("/api/sites/{wid}/settings")).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json["censor_inputs"], true, "censoring is on for a new site");
    assert_eq!(r.json["record_network"], true);
    assert_eq!(r.json["honor_gpc"], false);
    assert_eq!(r.json["url_deny_params"], serde_json::json!(["token", "code", "password", "session", "auth"]));
    assert_eq!(r.json["blocked_tag_keys"], serde_json::json!([]));

    // Partial update: given fields replace, the rest stays; defaults cannot be removed.
    let r = put_settings(&h, wid, r#"{"honor_gpc": true, "url_deny_params": ["Email", " sid "], "blocked_tag_keys": ["user", "user"]}"#).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json["honor_gpc"], true);
    assert_eq!(r.json["censor_inputs"], true);
    assert_eq!(
        r.json["url_deny_params"],
        serde_json::json!(["token", "code", "password", "session", "auth", "email", "sid"])
    );
    assert_eq!(r.json["blocked_tag_keys"], serde_json::json!(["user"]));
    // Stored: a later GET sees it.
    let again = h.api(&format!("/api/sites/{wid}/settings")).await;
    assert_eq!(again.json, r.json);

    put_settings(&h, wid, r#"{"nope": 1}"#).await.assert(StatusCode::BAD_REQUEST);
    put_settings(&h, wid, r#"{"url_deny_params": ["a=b"]}"#).await.assert(StatusCode::BAD_REQUEST);
    put_settings(&h, wid, r#"{"blocked_tag_keys": [""]}"#).await.assert(StatusCode::BAD_REQUEST);
    let many: Vec<String> = (0..65).map(|i| format!("k{i}")).collect();
    put_settings(&h, wid, &serde_json::json!({ "blocked_tag_keys": many }).to_string())
        .await
        .assert(StatusCode::BAD_REQUEST);
    put_settings(&h, 999, r#"{"honor_gpc": true}"#).await.assert(StatusCode::NOT_FOUND);
    h.api("/api/sites/999/settings").await.assert(StatusCode::NOT_FOUND);
    // Behind the key.
    let anon = h.send(Request::get(format!("/api/sites/{wid}/settings")).body(Body::empty()).unwrap()).await;
    anon.assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_agent_gets_settings_with_credentials_cors() {
    let h = Harness::new().await;
    let wid = h.site(&[ORIGIN]).await;
    put_settings(&h, wid, r#"{"censor_inputs": false, "record_network": false, "url_deny_params": ["email"]}"#)
        .await
        .assert(StatusCode::OK);
    let r = settings_req(&h, wid, Some(ORIGIN), None, false).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN, "the exact origin, never *");
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    assert!(r.headers[header::CACHE_CONTROL].to_str().unwrap().contains("no-store"));
    assert!(r.headers[header::VARY].to_str().unwrap().contains("Cookie"));
    let reply = reply_of(&r);
    assert!(reply.record);
    assert!(!reply.settings.censor_inputs);
    assert!(!reply.settings.record_network);
    assert!(reply.settings.url_deny_params.contains(&"email".to_string()));

    // Another origin: refused, and not readable.
    let r = settings_req(&h, wid, Some("https://evil.example"), None, false).await;
    r.assert(StatusCode::FORBIDDEN);
    assert!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    settings_req(&h, 999, Some(ORIGIN), None, false).await.assert(StatusCode::FORBIDDEN);
    let bad = h.send(Request::get("/i/v1/settings").body(Body::empty()).unwrap()).await;
    bad.assert(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn opt_out_cookies_and_gpc_answer_do_not_record() {
    let h = Harness::new().await;
    let a = h.site(&[]).await;
    let b = h.site(&[]).await;
    // Per-site opt-out page.
    let r = h.send(Request::get(format!("/exclude/{a}")).body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let set = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set.starts_with(&format!("__insp_optout_{a}=1;")), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Secure"), "{set}");
    assert!(String::from_utf8_lossy(&r.bytes).contains("opted out"));
    // Over https (behind a proxy): usable as a third-party cookie.
    let r = h
        .send(Request::get(format!("/exclude/{a}")).header("x-forwarded-proto", "https").body(Body::empty()).unwrap())
        .await;
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.contains("SameSite=None; Secure"), "{set}");
    // Undo.
    let r = h.send(Request::get(format!("/exclude/{a}?undo=1")).body(Body::empty()).unwrap()).await;
    assert!(r.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    // Unknown site.
    let r = h.send(Request::get("/exclude/999").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Every site.
    let r = h.send(Request::get("/optout").body(Body::empty()).unwrap()).await;
    assert!(r.headers[header::SET_COOKIE].to_str().unwrap().starts_with("__insp_optout=1;"));

    // What the agent is told.
    let cookie_a = format!("other=1; __insp_optout_{a}=1");
    assert!(!reply_of(&settings_req(&h, a, Some(ORIGIN), Some(&cookie_a), false).await).record);
    assert!(reply_of(&settings_req(&h, b, Some(ORIGIN), Some(&cookie_a), false).await).record, "only site a");
    assert!(!reply_of(&settings_req(&h, b, Some(ORIGIN), Some("__insp_optout=1"), false).await).record);
    assert!(reply_of(&settings_req(&h, a, Some(ORIGIN), Some(&format!("__insp_optout_{a}=")), false).await).record);
    // GPC counts only where the site honours it.
    assert!(reply_of(&settings_req(&h, b, Some(ORIGIN), None, true).await).record);
    put_settings(&h, b, r#"{"honor_gpc": true}"#).await.assert(StatusCode::OK);
    assert!(!reply_of(&settings_req(&h, b, Some(ORIGIN), None, true).await).record);
    assert!(reply_of(&settings_req(&h, b, Some(ORIGIN), None, false).await).record);
}

#[tokio::test]
async fn blocked_tag_keys_are_dropped_not_stored() {
    let h = Harness::new().await;
    let wid = h.site(&[]).await;
    put_settings(&h, wid, r#"{"blocked_tag_keys": ["email", "user"]}"#).await.assert(StatusCode::OK);
    let tags = vec![
        tag("email", Some("ann@example.com")),
        tag("user.email", Some("ann@example.com")),
        tag("user", Some("x")),
        tag("username", Some("ann")),
        tag("plan", Some("pro")),
    ];
    h.post_env(&envelope(wid, "s1", 1, EnvBody::Meta(meta(0, 2_000, tags))))
        .await
        .assert(StatusCode::OK);
    let r = h.api("/api/sessions/s1").await;
    r.assert(StatusCode::OK);
    let got = r.json["tags"].as_object().unwrap();
    let mut keys: Vec<&str> = got.keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["plan", "username"]);
    let db = std::fs::read(h.dir.join("insp.sqlite")).unwrap();
    let wal = std::fs::read(h.dir.join("insp.sqlite-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!contains(bytes, b"ann@example.com"), "a blocked tag value reached the disk");
    }
}

#[tokio::test]
async fn no_ip_address_is_stored() {
    let ip = "203.0.113.77";
    let h = Harness::with(|s| s.trust_forwarded_for = true).await;
    let wid = h.site(&[]).await;
    for body in [
        EnvBody::Meta(meta(0, 2_000, vec![tag("plan", Some("pro"))])),
        EnvBody::Events(batch(0, 1_000, 2_000)),
    ] {
        let env = envelope(wid, "s-ip", 1, body);
        let req = Request::post(format!("/i/v1?wid={wid}&enc=gzip"))
            .header("x-forwarded-for", ip)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(gzip(&insp_agent::codec::encode(&env))))
            .unwrap();
        h.send(req).await.assert(StatusCode::OK);
    }
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(&h.dir).unwrap() {
        on_disk.extend(std::fs::read(entry.unwrap().path()).unwrap_or_default());
    }
    assert!(!on_disk.is_empty());
    assert!(!contains(&on_disk, ip.as_bytes()), "the IP as text");
    assert!(!contains(&on_disk, &[203, 0, 113, 77]), "the IP as bytes");
    let api = h.api("/api/sessions/s-ip").await;
    assert!(!String::from_utf8_lossy(&api.bytes).contains(ip));
}

#[test]
fn settings_reply_round_trips_and_ignores_appended_fields() {
    let reply = SettingsReply { v: 1, record: false, settings: SiteSettings::default() };
    let mut bytes = reply.encode();
    assert_eq!(SettingsReply::decode(&bytes), Some(reply.clone()));
    bytes.extend_from_slice(&[1, 2, 3]);
    assert_eq!(SettingsReply::decode(&bytes), Some(reply));
    assert_eq!(SettingsReply::decode(&[9]), None);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
