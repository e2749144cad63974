//! The registry sweep against a mirror that drifted: it writes its changed rows as the
//! subtrees arrive, a batch at a time, and still repairs everything, removes what is gone
//! and keeps what a change fetch wrote while it ran.

use std::time::Duration;

use rappu_gateway::mirror::Key;
use rappu_sim::Faults;

use crate::helpers::*;

/// Every stored object of `account` as `(id, row)`, in id order.
async fn objects(app: &TestApp, account: &str) -> Vec<(i64, String)> {
    let account = account.to_owned();
    app.state
        .mirror
        .db()
        .read(move |c| {
            c.query(
                "SELECT id, row FROM mirror_objects WHERE account = $1 ORDER BY id",
                rappu_gateway::args![account],
            )?
            .into_iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
        })
        .await
        .expect("objects")
}

/// Runs `sql` on the mirror's writer with `$1` the account and `$2` an object id.
async fn execute(app: &TestApp, sql: &'static str, account: &str, id: i64) {
    let account = account.to_owned();
    app.state
        .mirror
        .db()
        .write(move |c| c.execute(sql, rappu_gateway::args![account, id]))
        .await
        .expect("write");
}

#[tokio::test]
async fn a_registry_sweep_repairs_in_batches_and_keeps_what_a_newer_fetch_wrote() {
    // 60 properties: some 1,900 objects, so the sweep writes more than one batch of 1,024.
    let app = spawn_app_against(one_account(60), |_| {}).await;
    let account = app.account();
    let mirror = app.state.mirror.clone();
    let truth = objects(&app, &account).await;
    assert!(truth.len() > 1_100, "{} objects", truth.len());

    // Drift: every row's text changed, the first object lost, one that Tampuuri never had.
    execute(
        &app,
        "UPDATE mirror_objects SET row = row || ' ' WHERE account = $1 AND id > $2",
        &account,
        0,
    )
    .await;
    let lost = truth[0].0;
    execute(
        &app,
        "DELETE FROM mirror_objects WHERE account = $1 AND id = $2",
        &account,
        lost,
    )
    .await;
    execute(
        &app,
        "INSERT INTO mirror_objects (account, id, parent_id, kind, property_id, building_id, row)
         SELECT account, $2, parent_id, kind, property_id, building_id, row
         FROM mirror_objects WHERE account = $1 AND building_id IS NOT NULL LIMIT 1",
        &account,
        999_999_999,
    )
    .await;

    // A slow Tampuuri, so the sweep is still fetching when a change fetch writes an object
    // (its key settled, as a change fetch settles what it wrote).
    app.sim.set_faults(Faults {
        latency_ms: 20,
        ..Faults::default()
    });
    let sweeping = {
        let mirror = mirror.clone();
        let account = account.clone();
        tokio::spawn(async move { mirror.sync_registry(&account).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!sweeping.is_finished(), "the sweep is still fetching");
    let newer = truth[truth.len() - 1].0;
    let state = mirror.account(&account).expect("account");
    state.settle(
        &[Key::Object(u64::try_from(newer).expect("id"))],
        state.seq(),
    );
    execute(
        &app,
        "UPDATE mirror_objects SET row = '{\"newer\":true}' WHERE account = $1 AND id = $2",
        &account,
        newer,
    )
    .await;
    let synced = sweeping.await.expect("sweep task").expect("sweep succeeds");
    app.sim.set_faults(Faults::default());

    // Everything repaired but the newer row; the lost one back, the stranger gone.
    let after = objects(&app, &account).await;
    let expected: Vec<(i64, String)> = truth
        .iter()
        .map(|(id, row)| {
            if *id == newer {
                (*id, "{\"newer\":true}".to_owned())
            } else {
                (*id, row.clone())
            }
        })
        .collect();
    assert_eq!(after.len(), expected.len());
    assert!(after == expected, "the mirror matches Tampuuri again");
    // Written: every drifted row but the newer one (the lost one among them), and the
    // stranger removed.
    assert_eq!(synced.changed, truth.len() as u64, "{synced:?}");
    app.stop().await;
}
