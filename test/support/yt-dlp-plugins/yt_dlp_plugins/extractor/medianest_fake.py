# Test-only yt-dlp extractors for MediaNest's loopback video host (test/support/fake-video-host.ts).
# YouTube cannot be reached from tests, so these read the host's channel listing the way
# yt-dlp's YouTube extractor reads a channel: newest first, one page of 30 at a time, a page
# fetched only when yt-dlp needs an item on it (so `-I 1:30` costs one page), and videos
# with YouTube's fields (upload date, uploader, description, thumbnail, subtitles). Loaded
# only through PYTHONPATH, which the tests' yt-dlp wrapper sets.
import functools

from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.utils import ExtractorError, OnDemandPagedList

PAGE = 30
HOST = r'https?://127\.0\.0\.1:\d+'


class MediaNestFakeChannelIE(InfoExtractor):
    IE_NAME = 'medianest:fakechannel'
    _VALID_URL = HOST + r'/(?P<id>@[a-z0-9-]+)/videos/?$'

    def _page(self, url, handle, number):
        data = self._download_json(f'{url}.json', handle, query={'page': number + 1},
                                   note=f'Downloading page {number + 1}', expected_status=404)
        if data.get('error'):
            raise ExtractorError(data['error'], expected=True)
        return data

    def _real_extract(self, url):
        url = url.rstrip('/')
        handle = self._match_id(url)
        base = url.rsplit('/@', 1)[0]
        first = self._page(url, handle, 0)
        pages = {0: first}

        def page(number):
            data = pages.pop(number, None) or self._page(url, handle, number)
            for v in data['videos']:
                yield self.url_result(f"{base}/watch/{v['id']}", MediaNestFakeVideoIE, v['id'], v.get('title'))

        return {
            '_type': 'playlist', 'id': handle, 'title': f"{first['name']} - Videos",
            'channel': first['name'], 'uploader': first['name'],
            'thumbnails': [{'id': 'banner_uncropped', 'url': f"{base}/pictures/banner-{handle[1:]}.png"},
                           {'id': 'avatar_uncropped', 'url': first['avatar']}],
            'entries': OnDemandPagedList(functools.partial(page), PAGE),
        }


class MediaNestFakeVideoIE(InfoExtractor):
    IE_NAME = 'medianest:fakevideo'
    _VALID_URL = HOST + r'/watch/(?P<id>[a-z0-9-]+)$'

    def _real_extract(self, url):
        video_id = self._match_id(url)
        data = self._download_json(f'{url}.json', video_id, expected_status=(403, 404))
        if data.get('error'):
            raise ExtractorError(data['error'], expected=True, video_id=video_id)
        return {
            'id': video_id, 'title': data['title'], 'description': data['description'],
            'uploader': data['uploader'], 'channel': data['channel'], 'upload_date': data['upload_date'],
            'thumbnail': data['thumbnail'],
            'formats': [{'url': data['media'], 'ext': 'mp4', 'format_id': 'mp4'}],
            'subtitles': {'en': [{'url': data['subtitles'], 'ext': 'vtt'}]},
        }
