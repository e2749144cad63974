//! The feed slots' rules with a fake Tampuuri, under paused time: single flight,
//! stale-while-revalidate, waiting for a changed feed, generations, provisional feeds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use super::fake::{ACCOUNT, BUILDINGS, FakeTampuuri};
use super::resources::Keep;
use super::{FeedKey, FeedService, RenderedFeed};
use crate::config::Settings;
use crate::webhooks::apply_to_feeds;

fn service(fake: &FakeTampuuri) -> FeedService {
    FeedService::with_upstream(
        Arc::new(fake.clone()),
        vec![Arc::from(ACCOUNT)],
        &Settings::default(),
        true,
    )
}

/// A service that keeps no resource between builds (production: over the account mirror).
fn service_keeping_nothing(fake: &FakeTampuuri) -> FeedService {
    FeedService::with_upstream_keeping(
        Arc::new(fake.clone()),
        vec![Arc::from(ACCOUNT)],
        &Settings::default(),
        true,
        Keep::InFlight,
    )
}

fn key(feeds: &FeedService, building: u64) -> FeedKey {
    feeds.key(ACCOUNT, building, None).unwrap()
}

fn text(feed: &RenderedFeed) -> String {
    String::from_utf8(feed.json().unwrap().to_vec()).unwrap()
}

/// Lets spawned tasks run until they block.
async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

/// The first resident of `building` in the fake world: (connection, party).
fn first_resident(fake: &FakeTampuuri, building: u64) -> (u64, u64) {
    let w = fake.snapshot();
    w.connections
        .values()
        .find(|c| {
            c.role == crate::upstream::tampuuri::model::ConnectionRole::Resident
                && w.building_of(c.object_id) == Some(building)
        })
        .map(|c| (c.id, c.party.id))
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn concurrent_first_polls_build_once_and_fetch_each_resource_once() {
    let fake = FakeTampuuri::new();
    fake.set_delay(Duration::from_millis(200));
    let feeds = service(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let polls: Vec<_> = (0..50)
        .map(|_| {
            let feeds = feeds.clone();
            tokio::spawn(async move { feeds.get(k).await })
        })
        .collect();
    let mut etags = Vec::new();
    for p in polls {
        etags.push(p.await.unwrap().unwrap().etag.clone());
    }
    assert!(etags.windows(2).all(|w| w[0] == w[1]));
    // Building, its tree, residents, announcements, reports, the property's staff and
    // the property itself: seven resources, one call each.
    assert_eq!(fake.calls(), 7);
}

#[tokio::test(start_paused = true)]
async fn past_its_freshness_a_feed_is_served_at_once_and_rebuilt_behind() {
    let fake = FakeTampuuri::new();
    let feeds = service(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let first = feeds.get(k).await.unwrap();
    let calls = fake.calls();
    tokio::time::advance(Settings::default().feed_ttl(true) + Duration::from_secs(1)).await;
    fake.set_delay(Duration::from_secs(30));
    let (_, party) = first_resident(&fake, BUILDINGS[0]);
    fake.patch_party(party, |p| p.last_name = Some("Uusinimi".into()));
    let started = tokio::time::Instant::now();
    let served = feeds.get(k).await.unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "not waiting for Tampuuri"
    );
    assert_eq!(served.etag, first.etag);
    settle().await;
    assert!(fake.calls() > calls, "a rebuild started behind the answer");
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert!(text(&feeds.get(k).await.unwrap()).contains("Uusinimi"));
}

#[tokio::test(start_paused = true)]
async fn after_a_change_a_poll_waits_briefly_for_the_new_feed() {
    let fake = FakeTampuuri::new();
    let feeds = service(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let first = feeds.get(k).await.unwrap();
    let records = fake.change(|w| {
        let a = w.announcements.get_mut(&(400 + BUILDINGS[0])).unwrap();
        a.title = "Saunavuorot muuttuvat".into();
        vec![("UutinenMuokkaa", a.id, None, Some(BUILDINGS[0]))]
    });
    fake.set_delay(Duration::from_secs(1));
    assert_eq!(apply_to_feeds(&feeds, ACCOUNT, &records), 1);
    let started = tokio::time::Instant::now();
    let feed = feeds.get(k).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert!(text(&feed).contains("Saunavuorot"));
    assert_ne!(feed.etag, first.etag);
    // Tampuuri too slow: the previous version after the wait, then the new one.
    let records = fake.change(|w| {
        let a = w.announcements.get_mut(&(400 + BUILDINGS[0])).unwrap();
        a.title = "Pihatalkoot".into();
        vec![("UutinenMuokkaa", a.id, None, Some(BUILDINGS[0]))]
    });
    fake.set_delay(Duration::from_secs(5));
    apply_to_feeds(&feeds, ACCOUNT, &records);
    let before = feeds.get(k).await.unwrap();
    assert!(text(&before).contains("Saunavuorot"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(text(&feeds.get(k).await.unwrap()).contains("Pihatalkoot"));
}

#[tokio::test(start_paused = true)]
async fn a_protected_name_leaves_at_once_even_while_a_slow_rebuild_is_in_flight() {
    let fake = FakeTampuuri::new();
    let feeds = service(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let (_, party) = first_resident(&fake, BUILDINGS[0]);
    let surname = format!("Suku{party}q");
    assert!(text(&feeds.get(k).await.unwrap()).contains(&surname));
    // A rebuild starts (any change), and Tampuuri answers it slowly.
    fake.set_delay(Duration::from_millis(2500));
    let records = fake.change(|w| {
        let a = w.announcements.get_mut(&(400 + BUILDINGS[0])).unwrap();
        a.body = "Uusi teksti".into();
        vec![("UutinenMuokkaa", a.id, None, Some(BUILDINGS[0]))]
    });
    apply_to_feeds(&feeds, ACCOUNT, &records);
    let in_flight = {
        let feeds = feeds.clone();
        tokio::spawn(async move { feeds.get(k).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // While its answer is on the way, the resident gains turvakielto.
    let records = fake.patch_party(party, |p| p.non_disclosure = Some(true));
    apply_to_feeds(&feeds, ACCOUNT, &records);
    // Before any time passes: gone from the slot (the provisional feed).
    let now = feeds.slot(k).current().unwrap();
    assert!(!text(&now).contains(&surname), "{}", text(&now));
    assert!(!text(&feeds.get(k).await.unwrap()).contains(&surname));
    // The old rebuild lands: its feed is not published.
    // (At 2.5 s; the rebuild the poll above started lands at 3.0 s.)
    let _ = in_flight.await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!text(&feeds.slot(k).current().unwrap()).contains(&surname));
    // Everything quiet: the real feed, settled, without the name, other names intact.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let settled = feeds.get(k).await.unwrap();
    let settled = if settled.provisional {
        tokio::time::sleep(Duration::from_secs(10)).await;
        feeds.get(k).await.unwrap()
    } else {
        settled
    };
    assert!(!settled.provisional);
    assert!(!text(&settled).contains(&surname));
    assert!(text(&settled).contains("Uusi teksti"));
    let others = fake
        .snapshot()
        .connections
        .values()
        .filter(|c| c.party.id != party && c.object_id > 100)
        .filter(|c| fake.snapshot().building_of(c.object_id) == Some(BUILDINGS[0]))
        .count();
    assert!(others > 0);
    for c in fake.snapshot().connections.values() {
        if c.party.id != party && fake.snapshot().building_of(c.object_id) == Some(BUILDINGS[0]) {
            assert!(text(&settled).contains(&format!("Suku{}q", c.party.id)));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_board_chair_who_opts_out_leaves_every_feed_of_the_property_at_once() {
    let fake = FakeTampuuri::new();
    let feeds = service(&fake);
    let keys = BUILDINGS.map(|b| key(&feeds, b));
    for k in keys {
        assert!(text(&feeds.get(k).await.unwrap()).contains("Suku8q"));
    }
    fake.set_delay(Duration::from_secs(60));
    let records = fake.patch_connection(3, |c| c.hide_from_display = Some(true));
    assert_eq!(apply_to_feeds(&feeds, ACCOUNT, &records), 2);
    for k in keys {
        let now = text(&feeds.slot(k).current().unwrap());
        assert!(!now.contains("Suku8q") && !now.contains("p8q@"), "{now}");
        assert!(now.contains("Huoltoyhtio9q"), "other contacts stay: {now}");
    }
}

#[tokio::test(start_paused = true)]
async fn unchanged_content_keeps_its_etag_and_wakes_nobody() {
    let fake = FakeTampuuri::new();
    let feeds = service(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let first = feeds.get(k).await.unwrap();
    let mut rx = feeds.slot(k).subscribe();
    rx.borrow_and_update();
    // A notification about something that changes nothing on the screen.
    let records = fake.change(|_| {
        vec![(
            "UutinenMuokkaa",
            400 + BUILDINGS[0],
            None,
            Some(BUILDINGS[0]),
        )]
    });
    apply_to_feeds(&feeds, ACCOUNT, &records);
    let again = feeds.get(k).await.unwrap();
    assert_eq!(again.etag, first.etag);
    assert!(!rx.has_changed().unwrap());
}

#[tokio::test(start_paused = true)]
async fn turvakielto_during_a_refetch_caused_by_a_neighbour() {
    let fake = FakeTampuuri::new();
    let feeds = service(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let w = fake.snapshot();
    let mut residents = w.connections.values().filter(|c| {
        c.role == crate::upstream::tampuuri::model::ConnectionRole::Resident
            && w.building_of(c.object_id) == Some(BUILDINGS[0])
    });
    let target = residents.next().unwrap().party.id;
    let neighbour = residents.next().unwrap().party.id;
    let surname = format!("Suku{target}q");
    assert!(text(&feeds.get(k).await.unwrap()).contains(&surname));
    fake.set_delay(Duration::from_millis(2500));
    let records = fake.patch_party(neighbour, |p| p.mobile = Some("1".into()));
    apply_to_feeds(&feeds, ACCOUNT, &records);
    let slow = {
        let feeds = feeds.clone();
        tokio::spawn(async move { feeds.get(k).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let records = fake.patch_party(target, |p| p.non_disclosure = Some(true));
    apply_to_feeds(&feeds, ACCOUNT, &records);
    let current = feeds.slot(k).current().unwrap();
    assert!(
        !text(&current).contains(&surname),
        "provisional: {}",
        text(&current)
    );
    let first = feeds.get(k).await.unwrap();
    assert!(
        !text(&first).contains(&surname),
        "first poll: {}",
        text(&first)
    );
    let _ = slow.await;
}

#[tokio::test(start_paused = true)]
async fn without_kept_resources_a_protected_name_leaves_at_once_and_the_others_come_back() {
    let fake = FakeTampuuri::new();
    let feeds = service_keeping_nothing(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let (target, neighbour) = {
        let w = fake.snapshot();
        let mut residents = w.connections.values().filter(|c| {
            c.role == crate::upstream::tampuuri::model::ConnectionRole::Resident
                && w.building_of(c.object_id) == Some(BUILDINGS[0])
        });
        (
            residents.next().unwrap().party.id,
            residents.next().unwrap().party.id,
        )
    };
    let (surname, other) = (format!("Suku{target}q"), format!("Suku{neighbour}q"));
    let first = text(&feeds.get(k).await.unwrap());
    assert!(first.contains(&surname) && first.contains(&other));
    // A rebuild begins (any change) and Tampuuri answers it slowly.
    fake.set_delay(Duration::from_millis(2500));
    let records = fake.change(|w| {
        let a = w.announcements.get_mut(&(400 + BUILDINGS[0])).unwrap();
        a.body = "Uusi teksti".into();
        vec![("UutinenMuokkaa", a.id, None, Some(BUILDINGS[0]))]
    });
    apply_to_feeds(&feeds, ACCOUNT, &records);
    let in_flight = {
        let feeds = feeds.clone();
        tokio::spawn(async move { feeds.get(k).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let records = fake.patch_party(target, |p| p.non_disclosure = Some(true));
    assert_eq!(apply_to_feeds(&feeds, ACCOUNT, &records), 1);
    // Nothing kept to rebuild from: at once, the feed without any name or contact.
    let now = text(&feeds.slot(k).current().unwrap());
    assert!(!now.contains(&surname) && !now.contains(&other), "{now}");
    assert!(!text(&feeds.get(k).await.unwrap()).contains(&surname));
    let _ = in_flight.await.unwrap();
    assert!(!text(&feeds.slot(k).current().unwrap()).contains(&surname));
    // Quiet: rebuilt from the source, the neighbour back, the protected person not.
    fake.set_delay(Duration::ZERO);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let settled = feeds.get(k).await.unwrap();
    assert!(!settled.provisional);
    let settled = text(&settled);
    assert!(!settled.contains(&surname), "{settled}");
    assert!(
        settled.contains(&other) && settled.contains("Uusi teksti"),
        "{settled}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_kept_resources_a_board_chair_who_opts_out_leaves_every_feed_of_the_property() {
    let fake = FakeTampuuri::new();
    let feeds = service_keeping_nothing(&fake);
    let keys = BUILDINGS.map(|b| key(&feeds, b));
    for k in keys {
        assert!(text(&feeds.get(k).await.unwrap()).contains("Suku8q"));
    }
    fake.set_delay(Duration::from_secs(60));
    let records = fake.patch_connection(3, |c| c.hide_from_display = Some(true));
    assert_eq!(apply_to_feeds(&feeds, ACCOUNT, &records), 2);
    for k in keys {
        let now = text(&feeds.slot(k).current().unwrap());
        assert!(!now.contains("Suku8q") && !now.contains("p8q@"), "{now}");
    }
    fake.set_delay(Duration::ZERO);
    tokio::time::sleep(Duration::from_secs(10)).await;
    for k in keys {
        let now = text(&feeds.get(k).await.unwrap());
        assert!(!now.contains("Suku8q") && !now.contains("p8q@"), "{now}");
        assert!(
            now.contains("Huoltoyhtio9q"),
            "other contacts come back: {now}"
        );
    }
}

fn plain_text(feeds: &FeedService, feed: &Arc<RenderedFeed>) -> String {
    String::from_utf8(feeds.plain_body(feed).unwrap().to_vec()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_client_without_gzip_gets_the_current_json_and_a_protected_name_leaves_it_too() {
    let fake = FakeTampuuri::new();
    let feeds = service_keeping_nothing(&fake);
    let k = key(&feeds, BUILDINGS[0]);
    let (_, target) = first_resident(&fake, BUILDINGS[0]);
    let surname = format!("Suku{target}q");
    let first = feeds.get(k).await.unwrap();
    let plain = feeds.plain_body(&first).unwrap();
    // The JSON whose SHA-256 is the ETag, inflated once and then kept.
    assert_eq!(
        super::render::etag_of(&plain).as_bytes(),
        first.etag.as_bytes()
    );
    assert!(
        String::from_utf8(plain.to_vec())
            .unwrap()
            .contains(&surname)
    );
    assert_eq!(feeds.plain_body(&first).unwrap().as_ptr(), plain.as_ptr());
    assert_eq!(feeds.plain_bodies_kept(), 1);
    drop(plain);
    let dropped = Arc::downgrade(&first);
    drop(first);

    let records = fake.patch_party(target, |p| p.non_disclosure = Some(true));
    assert_eq!(apply_to_feeds(&feeds, ACCOUNT, &records), 1);
    // The version that named the person is gone, and its plain copy with it.
    assert!(dropped.upgrade().is_none());
    assert_eq!(feeds.plain_bodies_kept(), 0);
    let now = feeds.get(k).await.unwrap();
    assert!(!plain_text(&feeds, &now).contains(&surname));
    tokio::time::sleep(Duration::from_secs(10)).await;
    let settled = feeds.get(k).await.unwrap();
    assert!(!settled.provisional);
    let settled_plain = plain_text(&feeds, &settled);
    assert!(!settled_plain.contains(&surname), "{settled_plain}");
    assert_eq!(settled_plain, text(&settled));
}

#[tokio::test(start_paused = true)]
async fn without_kept_resources_no_index_is_kept_and_a_structure_change_reaches_every_feed() {
    let fake = FakeTampuuri::new();
    let feeds = service_keeping_nothing(&fake);
    let (k0, k1) = (key(&feeds, BUILDINGS[0]), key(&feeds, BUILDINGS[1]));
    assert!(!text(&feeds.get(k0).await.unwrap()).contains("Porras Q"));
    feeds.get(k1).await.unwrap();
    assert_eq!(
        feeds.with_index(ACCOUNT, |i| i.buildings().len()),
        Some(0),
        "over a source that is already a local copy, no object index is kept"
    );
    // The fallback (the mirror could not be read) knows no building of the staircase:
    // every built feed is rebuilt, the one it concerns among them.
    let stair = BUILDINGS[0] + 1;
    let records = fake.change(|w| {
        w.objects.get_mut(&stair).unwrap().staircase = Some("Porras Q".into());
        vec![("KohdeMuokkaa", stair, None, None)]
    });
    assert_eq!(apply_to_feeds(&feeds, ACCOUNT, &records), 2);
    assert!(text(&feeds.get(k0).await.unwrap()).contains("Porras Q"));

    // Keeping the resources, the index still narrows it to the one building.
    let kept = service(&fake);
    kept.get(kept.key(ACCOUNT, BUILDINGS[0], None).unwrap())
        .await
        .unwrap();
    kept.get(kept.key(ACCOUNT, BUILDINGS[1], None).unwrap())
        .await
        .unwrap();
    let records = fake.change(|w| {
        w.objects.get_mut(&stair).unwrap().staircase = Some("Porras R".into());
        vec![("KohdeMuokkaa", stair, None, None)]
    });
    assert_eq!(apply_to_feeds(&kept, ACCOUNT, &records), 1);
}

/// A slot nobody asked for in a day is dropped, unless a display watches it or a request
/// holds it: an SSE stream open for longer keeps its slot, and a change still reaches it.
#[tokio::test(start_paused = true)]
async fn idle_slots_are_dropped_but_a_watched_one_stays_and_hears_changes() {
    use super::slots::IDLE_SLOT_SECS;
    let fake = FakeTampuuri::new();
    let feeds = service(&fake);
    let (polled, watched) = (key(&feeds, BUILDINGS[0]), key(&feeds, BUILDINGS[1]));
    feeds.get(polled).await.unwrap();
    feeds.get(watched).await.unwrap();
    let mut rx = feeds.slot(watched).subscribe();
    rx.borrow_and_update();
    assert_eq!(feeds.slots(), 2);

    assert_eq!(
        feeds.drop_idle(IDLE_SLOT_SECS - 1),
        0,
        "used within the day"
    );
    // A request holding the idle slot (about to subscribe to it, say) keeps it too.
    let held = feeds.slot(polled);
    assert_eq!(feeds.drop_idle(IDLE_SLOT_SECS), 0, "held and watched");
    drop(held);
    assert_eq!(feeds.drop_idle(IDLE_SLOT_SECS), 1);
    assert_eq!(feeds.slots(), 1, "the watched slot stays");

    let (_, party) = first_resident(&fake, BUILDINGS[1]);
    let renamed = "Vaihdettu";
    let records = fake.patch_party(party, |p| p.last_name = Some(renamed.into()));
    assert_eq!(apply_to_feeds(&feeds, ACCOUNT, &records), 1);
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            rx.changed().await.unwrap();
            if rx
                .borrow()
                .as_ref()
                .is_some_and(|f| text(f).contains(renamed))
            {
                break;
            }
        }
    })
    .await
    .expect("the watching display hears the change");

    // The polled one comes back as a new slot when asked for again.
    assert!(feeds.get(polled).await.is_ok());
    assert_eq!(feeds.slots(), 2);
}
