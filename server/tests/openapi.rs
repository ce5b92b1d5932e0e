//! openapi.yaml documents every route the router has.

#[test]
fn openapi_lists_every_route() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    for path in [
        "/i/v1",
        "/api/sites",
        "/api/sites/{wid}/sessions",
        "/api/sessions/{id}",
        "/inspectlet.js",
        "/i/v1/settings",
        "/api/sites/{wid}/settings",
        "/exclude/{wid}",
        "/optout",
    ] {
        assert!(
            spec.contains(&format!("\n  {path}:\n")),
            "openapi.yaml lacks {path}"
        );
    }
}
