// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: files Plex reads well, with the real yt-dlp and ffmpeg. Titles keep their own
// script; each file is named "<date> - <title> [<id>].<ext>" in its playlist's folder, with
// its thumbnail beside it as a .jpg and the playlist's picture as poster.jpg (Plex's local
// media assets); title and source are embedded (ffprobe reads them back). The quality
// profiles choose the format: audio only gives an .m4a; a profile with subtitle languages
// embeds them. A picture that cannot be made never fails the download: the row says which.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { expect } from 'chai'
import { holdsClip } from '../../support/fake-video-host.ts'
import { rows, startHarness, submit, waitForStatus, type Harness } from './harness.ts'

interface Probe { streams: Array<{ codec_type: string; codec_name: string }>; format: { tags?: Record<string, string> } }
function probe(file: string): Probe {
  const run = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format_tags', '-of', 'json', file], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`ffprobe could not read ${file}: ${run.stderr}`)
  return JSON.parse(run.stdout) as Probe
}
const isJpeg = (file: string) => probe(file).streams[0]?.codec_name === 'mjpeg'

describe('youtube: Plex-ready files and quality profiles', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => {
    h = await startHarness({
      config: {
        submissionsPerHour: 100,
        profiles: [
          { id: 'best-1080', label: 'Best up to 1080p', format: 'bv*[height<=1080]+ba/b[height<=1080]/b', container: 'mp4' },
          { id: 'audio-m4a', label: 'Audio only (m4a)', format: 'ba[ext=m4a]/ba/b', container: 'm4a' },
          { id: 'with-subs', label: '1080p with English subtitles', format: 'b', container: 'mp4', subtitles: ['en'] },
        ],
      },
    })
  })
  after(async () => h?.stop())

  it('names files in their own script with the thumbnail beside each, a poster for the folder, and the title embedded', async () => {
    h.videos.setPlaylist('pokemon', 'ポケットモンスター 第1話', ['p-one', 'p-two'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('pokemon'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const done = await waitForStatus(h.host, row.id, 'completed')
    const folder = path.join(h.libraryPath, 'ポケットモンスター 第1話')
    const media = [1, 2].map((i) => path.join(folder, `undated - ポケットモンスター 第1話 (${i}) [pokemon-${i}].mp4`))
    expect(done.file_paths).to.deep.equal(media)
    expect(fs.readdirSync(folder).sort()).to.deep.equal([
      'poster.jpg',
      'undated - ポケットモンスター 第1話 (1) [pokemon-1].jpg', 'undated - ポケットモンスター 第1話 (1) [pokemon-1].mp4',
      'undated - ポケットモンスター 第1話 (2) [pokemon-2].jpg', 'undated - ポケットモンスター 第1話 (2) [pokemon-2].mp4',
    ])
    for (const f of ['poster.jpg', ...media.map((m) => m.replace(/\.mp4$/, '.jpg'))]) expect(isJpeg(path.join(folder, path.basename(f))), f).to.equal(true)
    const tags = probe(media[0]).format.tags ?? {}
    expect(tags.title).to.equal('ポケットモンスター 第1話 (1)')
    expect(tags.comment).to.equal(h.videos.playlistUrl('pokemon'))
    expect(holdsClip(media[0], 'p-one')).to.equal(true)
    expect(done.notes).to.equal(null)
    // yt-dlp kept the title: no --restrict-filenames, the checked template, the profile's format.
    const run = h.runs().find((r) => r.includes('--download-archive') && r.includes('pokemon'))!
    expect(run).to.not.include('--restrict-filenames')
    expect(run).to.include('-f bv*[height<=1080]+ba/b[height<=1080]/b --merge-output-format mp4 --embed-metadata --embed-chapters')

    // Deleting it with its files takes the thumbnails and the poster too, then the folder.
    expect((await client.post(`/youtube/downloads/${row.id}/delete`, { files: 'on' })).status).to.equal(303)
    expect(fs.existsSync(folder)).to.equal(false)
  })

  it('gives an .m4a with only audio and its title for the audio profile', async () => {
    h.videos.setPlaylist('podcast', 'A Podcast', ['q-one', 'q-two'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('podcast'), { profile: 'audio-m4a' })).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const done = await waitForStatus(h.host, row.id, 'completed')
    expect(done.file_paths).to.deep.equal([1, 2].map((i) => path.join(h.libraryPath, 'A Podcast', `undated - A Podcast (${i}) [podcast-${i}].m4a`)))
    const p = probe(done.file_paths![0])
    expect(p.streams.map((s) => s.codec_type)).to.deep.equal(['audio'])
    expect(p.format.tags?.title).to.equal('A Podcast (1)')
  })

  it('embeds the subtitle languages a profile asks for', async () => {
    h.videos.setPlaylist('subbed', 'Subbed', ['r-one'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('subbed'), { profile: 'with-subs' })).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const done = await waitForStatus(h.host, row.id, 'completed')
    expect(probe(done.file_paths![0]).streams.map((s) => `${s.codec_type}:${s.codec_name}`)).to.include('subtitle:mov_text')
    // Embedded, so not also beside the file.
    expect(fs.readdirSync(path.dirname(done.file_paths![0])).filter((f) => f.endsWith('.vtt'))).to.deep.equal([])
  })

  it('completes when the pictures are not pictures, and says which assets are missing', async () => {
    h.videos.setPlaylist('broken', 'Broken Pictures', ['s-one'], { brokenPictures: true })
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('broken'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const done = await waitForStatus(h.host, row.id, 'completed')
    expect(holdsClip(done.file_paths![0], 's-one')).to.equal(true)
    expect(done.notes).to.include('no poster for the folder (')
    expect(done.notes).to.include('the thumbnail of “undated - Broken Pictures (1) [broken-1].mp4” could not be converted')
    const folder = path.dirname(done.file_paths![0])
    expect(fs.readdirSync(folder).filter((f) => f.endsWith('.jpg'))).to.deep.equal([])
    const page = await client.get('/youtube')
    expect(page.text).to.include('could not be converted')
  })

  it('refuses a profile that is not offered, beside its field, and writes nothing', async () => {
    h.videos.setPlaylist('nope', 'Nope', ['t-one'])
    const { client, user } = await h.host.signedIn()
    const refused = await submit(client, h.videos.playlistUrl('nope'), { profile: '../../etc' })
    expect(refused.status).to.equal(422)
    expect(refused.text).to.include('id="youtube-form-profile-error"').and.include('Pick one of the qualities offered: Best up to 1080p, Audio only (m4a), 1080p with English subtitles.')
    expect(await rows(h.host, user.id)).to.have.length(0)
  })
})
