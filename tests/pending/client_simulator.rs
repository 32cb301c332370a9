//! PENDING: tests of the client against the in-process simulator. Not compiled until the
//! simulator lands on main; then this module moves to the end of tests/client.rs.
//! Verified 14/14 passing against sim commit 4115943 in a trial merge.

// ---------------------------------------------------------------------------------------
// Against the in-process simulator: one test per switch.
// ---------------------------------------------------------------------------------------

mod against_the_simulator {
    use super::*;
    use secrecy::SecretString;
    use snow_connect::servicenow::{ClientOptions, Credentials, DisplayValue};
    use snow_connect::simulator::{
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, SimOptions, Simulator,
    };

    fn demo_creds() -> Credentials {
        Credentials {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: SecretString::from(DEMO_CLIENT_SECRET),
            username: DEMO_USERNAME.into(),
            password: SecretString::from(DEMO_PASSWORD),
        }
    }

    async fn sim(options: SimOptions) -> Simulator {
        Simulator::start(options).await.expect("simulator starts")
    }

    fn client_of(sim: &Simulator, o: &ClientOptions) -> Client {
        Client::new(base(sim.base_url()), demo_creds(), o).unwrap()
    }

    fn dictionary_query() -> TableQuery {
        TableQuery::new("sys_dictionary")
            .query(
                EncodedQuery::new()
                    .is_in("name", &["incident", "task"])
                    .is_not_empty("element"),
            )
            .fields(&["name", "element", "column_label", "internal_type", "reference"])
            .exclude_reference_link()
    }

    #[tokio::test]
    async fn the_full_happy_path() {
        bounded(async {
            let s = sim(SimOptions::default()).await;
            let client = client_of(&s, &opts());
            client.probe().await.expect("the simulator looks like ServiceNow");
            let info = client.authenticate().await.unwrap();
            assert_eq!(info.scope, "useraccount");
            assert_eq!(info.expires_in, 1799);
            assert!(info.has_refresh_token);

            let page = client
                .get_page(&TableQuery::new("sys_db_object").query(EncodedQuery::new().eq("name", "incident")))
                .await
                .unwrap();
            assert_eq!(page.records.len(), 1);
            let parent = FieldValue::parse(&page.records[0]["super_class"]);
            assert!(parent.value.is_some_and(|v| v.len() == 32), "{:?}", page.records[0]);

            let (fields, total, _) = client.get_all(&dictionary_query()).await.unwrap();
            assert_eq!(total, Some(fields.len() as u64));
            for element in ["short_description", "assignment_group", "caller_id", "sys_id"] {
                assert!(
                    fields.iter().any(|r| field_string(r, "element").as_deref() == Some(element)),
                    "{element} missing"
                );
            }

            let err = client
                .get_page(&TableQuery::new("not_a_real_class"))
                .await
                .unwrap_err();
            assert!(matches!(&err, Error::InvalidTable { table } if table == "not_a_real_class"));

            let err = client
                .get_record("incident", "00000000000000000000000000000000", &[])
                .await
                .unwrap_err();
            assert!(matches!(&err, Error::NotFound(m) if m.message == "No Record found"), "{err:?}");
        })
        .await;
    }

    #[tokio::test]
    async fn every_reference_shape_from_the_simulator() {
        bounded(async {
            let s = sim(SimOptions::default()).await;
            let client = client_of(&s, &opts());
            let q = |dv: DisplayValue, exclude: bool| {
                let q = TableQuery::new("incident")
                    .query(EncodedQuery::new().is_not_empty("caller_id"))
                    .fields(&["caller_id", "number"])
                    .display_value(dv)
                    .limit(1);
                if exclude { q.exclude_reference_link() } else { q }
            };
            let first = |p: snow_connect::servicenow::Page| {
                FieldValue::parse(&p.records.first().expect("an incident with a caller")["caller_id"])
            };
            let raw = first(client.get_page(&q(DisplayValue::False, false)).await.unwrap());
            let id = raw.value.clone().expect("value");
            assert!(raw.link.as_deref().is_some_and(|l| l.ends_with(&format!("/sys_user/{id}"))), "{raw:?}");
            let plain = first(client.get_page(&q(DisplayValue::False, true)).await.unwrap());
            assert_eq!((plain.value.as_deref(), plain.link), (Some(id.as_str()), None));
            let shown = first(client.get_page(&q(DisplayValue::True, false)).await.unwrap());
            assert!(shown.display.is_some() && shown.value.is_none(), "{shown:?}");
            assert_eq!(shown.link_key(), Some(id.as_str()));
            let all = first(client.get_page(&q(DisplayValue::All, false)).await.unwrap());
            assert_eq!(all.value.as_deref(), Some(id.as_str()));
            assert_eq!(all.display, shown.display);
        })
        .await;
    }

    #[tokio::test]
    async fn created_incidents_come_back() {
        bounded(async {
            let s = sim(SimOptions::default()).await;
            let client = client_of(&s, &opts());
            let before = s.incident_count();
            let body: Record = serde_json::from_value(json!({
                "short_description": "Cost anomaly",
                "impact": "1",
                "urgency": "2",
                "u_not_a_field": "ignored",
            }))
            .unwrap();
            let created = client.create_record("incident", &body).await.unwrap();
            let number = field_string(&created.record, "number").unwrap();
            assert!(number.starts_with("INC") && number.len() == 10, "{number}");
            assert_eq!(field_string(&created.record, "priority").as_deref(), Some("2"));
            let sys_id = field_string(&created.record, "sys_id").unwrap();
            assert!(created.location.as_deref().is_some_and(|l| l.ends_with(&format!("/api/now/table/incident/{sys_id}"))));
            assert_eq!(s.incident_count(), before + 1);
            let back = client.get_record("incident", &sys_id, &["number"]).await.unwrap();
            assert_eq!(field_string(&back, "number"), Some(number));
        })
        .await;
    }

    #[tokio::test]
    async fn wrong_credentials_are_tried_once() {
        bounded(async {
            let s = sim(SimOptions::default()).await;
            let client = Client::new(base(s.base_url()), wrong_creds(), &opts()).unwrap();
            let q = TableQuery::new("incident");
            for _ in 0..3 {
                let err = client.get_page(&q).await.unwrap_err();
                assert!(
                    matches!(&err, Error::TokenRejected { status: 401, description } if description == "access_denied"),
                    "{err:?}"
                );
            }
            assert_eq!(s.request_count(), 1, "one token request, nothing else");
        })
        .await;
    }

    #[tokio::test]
    async fn deny_a_platform_table_is_a_403() {
        bounded(async {
            let s = sim(SimOptions { deny: vec!["sys_dictionary".into()], ..SimOptions::default() }).await;
            let err = client_of(&s, &opts()).get_page(&dictionary_query()).await.unwrap_err();
            assert!(
                matches!(&err, Error::Forbidden(m) if m.message == "Insufficient rights to query records"),
                "{err:?}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn deny_an_itsm_table_is_an_empty_page_with_the_count() {
        bounded(async {
            let s = sim(SimOptions { deny: vec!["incident.read".into()], ..SimOptions::default() }).await;
            let page = client_of(&s, &opts())
                .get_page(&TableQuery::new("incident").limit(5))
                .await
                .unwrap();
            assert!(page.records.is_empty());
            assert!(page.total_count.is_some_and(|n| n > 0), "{page:?}");
        })
        .await;
    }

    #[tokio::test]
    async fn deny_fields_leaves_keys_out_and_queries_on_them_are_refused() {
        bounded(async {
            let s = sim(SimOptions { deny: vec!["sys_dictionary.*".into()], ..SimOptions::default() }).await;
            let client = client_of(&s, &opts());
            let page = client
                .get_page(&TableQuery::new("sys_dictionary").limit(3))
                .await
                .unwrap();
            assert!(!page.records.is_empty());
            assert!(page.records.iter().all(|r| field_string(r, "element").is_none()), "{:?}", page.records);
            let err = client.get_page(&dictionary_query()).await.unwrap_err();
            assert!(
                matches!(&err, Error::Forbidden(m) if m.detail.as_deref() == Some("Field(s) present in the query do not have permission to be read")),
                "{err:?}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn deny_incident_create() {
        bounded(async {
            let s = sim(SimOptions { deny: vec!["incident.create".into()], ..SimOptions::default() }).await;
            let body: Record = serde_json::from_value(json!({"short_description": "x"})).unwrap();
            let err = client_of(&s, &opts()).create_record("incident", &body).await.unwrap_err();
            assert!(
                matches!(&err, Error::Forbidden(m) if m.message == "Operation Failed"
                    && m.detail.as_deref() == Some("ACL Exception Insert Failed due to security constraints")),
                "{err:?}"
            );
        })
        .await;
    }

    #[tokio::test]
    async fn a_securely_scoped_client() {
        bounded(async {
            let s = sim(SimOptions { securely_scoped: true, ..SimOptions::default() }).await;
            let client = client_of(&s, &opts());
            client.authenticate().await.expect("the token itself is issued");
            let err = client.get_page(&TableQuery::new("incident")).await.unwrap_err();
            assert!(matches!(err, Error::SecurelyScoped(_)), "{err:?}");
        })
        .await;
    }

    #[tokio::test]
    async fn a_hibernating_instance() {
        bounded(async {
            let s = sim(SimOptions { hibernating: true, ..SimOptions::default() }).await;
            let client = client_of(&s, &opts());
            assert!(matches!(client.probe().await, Err(Error::Hibernating)));
            assert!(matches!(client.authenticate().await, Err(Error::Hibernating)));
            assert!(matches!(client.get_page(&TableQuery::new("incident")).await, Err(Error::Hibernating)));
        })
        .await;
    }

    #[tokio::test]
    async fn rate_limiting() {
        bounded(async {
            let s = sim(SimOptions { rate_limit: Some(2), ..SimOptions::default() }).await;
            let client = client_of(&s, &opts());
            let q = TableQuery::new("incident").limit(1);
            client.get_page(&q).await.unwrap();
            client.get_page(&q).await.unwrap();
            let err = client.get_page(&q).await.unwrap_err();
            match &err {
                Error::RateLimited { retry_after, limit, reset, rule, .. } => {
                    assert!(retry_after.is_some());
                    assert_eq!(*limit, Some(2));
                    assert!(reset.is_some() && rule.is_some(), "{err:?}");
                }
                other => panic!("{other:?}"),
            }
        })
        .await;
    }

    #[tokio::test]
    async fn a_short_token_lifetime_is_refreshed_up_front() {
        bounded(async {
            // ttl 1 s: expires_in 0, so the client renews before every call after the first.
            let s = sim(SimOptions { token_ttl: 1, ..SimOptions::default() }).await;
            let client = client_of(&s, &opts());
            let q = TableQuery::new("incident").limit(1);
            client.get_page(&q).await.unwrap();
            client.get_page(&q).await.unwrap();
            client.get_page(&q).await.unwrap();
            // password grant + page, then refresh + page twice; no 401 in between.
            assert_eq!(client.stats().requests, 6);
            assert_eq!(s.request_count(), 6);
        })
        .await;
    }

    #[tokio::test]
    async fn tls_with_the_simulators_ca() {
        bounded(async {
            let s = sim(SimOptions { tls: true, ..SimOptions::default() }).await;
            assert!(s.base_url().starts_with("https://"));
            let ca = s.ca_cert_path().expect("a CA file").to_path_buf();
            let err = client_of(&s, &opts()).probe().await.unwrap_err();
            assert!(matches!(err, Error::Tls { .. }), "{err:?}");
            let o = ClientOptions { ca_file: Some(ca), ..opts() };
            let client = client_of(&s, &o);
            client.probe().await.unwrap();
            client.get_page(&TableQuery::new("incident").limit(1)).await.unwrap();
        })
        .await;
    }

    #[tokio::test]
    async fn pagination_over_extra_fields() {
        bounded(async {
            let s = sim(SimOptions { extra_fields: 3000, ..SimOptions::default() }).await;
            let stock = {
                let plain = sim(SimOptions::default()).await;
                let (f, _, _) = client_of(&plain, &opts()).get_all(&dictionary_query()).await.unwrap();
                f.len()
            };
            let o = ClientOptions { page_size: 500, max_concurrent_pages: 3, ..opts() };
            let client = client_of(&s, &o);
            let (fields, total, requests) = client.get_all(&dictionary_query()).await.unwrap();
            assert_eq!(fields.len(), stock + 3000);
            assert_eq!(total, Some(fields.len() as u64));
            assert_eq!(requests, fields.len().div_ceil(500));
            let mut elements: Vec<_> = fields.iter().filter_map(|r| field_string(r, "element")).collect();
            let n = elements.len();
            elements.sort();
            elements.dedup();
            assert!(n - elements.len() <= 1, "pages overlap: only sys_id may repeat");

            // Without the count: Link rel="next" (or offsets) still reach every record.
            let (again, total, _) = client.get_all(&dictionary_query().no_count()).await.unwrap();
            assert_eq!(total, None);
            assert_eq!(again.len(), fields.len());
        })
        .await;
    }
}
