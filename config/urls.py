from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from appraisals import public as appraisals_public
from certificates import views as certificates_views
from supervision import views as supervision_views
from supervision.home import admin_home

admin.site.site_header = "鉴定 · 职业技能鉴定业务后台"
admin.site.site_title = "鉴定后台"
admin.site.index_title = "水平评价类技能人员职业资格退出目录 · 业务办理"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/supervision/", include("supervision.urls")),  # before the admin: see supervision.urls
    # The home: the admin's index with each role's day on top (it reads every app).
    path("admin/", admin.site.admin_view(admin_home), name="jianding_home"),
    path("admin/", admin.site.urls),
    path("appraisals/", include("appraisals.urls")),
    path("certificates/", include("certificates.urls")),
    path("verify/", certificates_views.verify, name="verify"),  # 证书查询: public, no login
    path("complaints/", supervision_views.complaint_new, name="complaint_new"),  # 举报: public, no login
    # 鉴定考试公告: public, no login.
    path("stations/", appraisals_public.stations, name="public_stations"),
    path(
        "stations/<str:code>/announcements/",
        appraisals_public.station_announcements,
        name="station_announcements",
    ),
]
# Uploads (consent scans, attachments, photos) are personal data: never served by URL, even
# in development; each opens through a view that checks who asks.
