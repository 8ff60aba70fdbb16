"""kit.conf: the project's settings read in one place, following the settings in force."""

import datetime
from decimal import Decimal

from django.test import override_settings

from kit import conf


def test_every_accessor_reads_a_setting_of_base_py():
    # No accessor has a default of its own: each setting is defined in config/settings/base.py.
    assert conf.supervision_hotline()
    assert conf.import_background_bytes() > 0
    assert conf.pass_mark() == Decimal("60")
    assert conf.publicity_working_days() == 5
    assert conf.reminder_lead_days() == [14, 7, 3, 1]
    assert set(conf.rush_thresholds()) == {
        "window_days",
        "baseline_days",
        "factor",
        "min_registrations",
        "burst_days",
        "burst_min",
    }
    assert all(conf.verify_rates())


@override_settings(
    JIANDING_PUBLIC_URL="https://jianding.example.cn/",
    JIANDING_REMINDER_LEAD_DAYS=[1, 14, 3],
    JIANDING_IMPORT_BACKGROUND_BYTES=100,
    JIANDING_BUSINESS_DATE=datetime.date(2020, 9, 20),
)
def test_accessors_follow_the_settings_in_force():
    assert conf.public_url() == "https://jianding.example.cn"
    assert conf.reminder_lead_days() == [14, 3, 1]
    assert conf.import_background_bytes() == 100
    assert conf.business_date() == datetime.date(2020, 9, 20)
