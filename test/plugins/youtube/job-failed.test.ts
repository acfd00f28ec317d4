// youtube: a download whose job fails for good without the handler saying so. The process
// running its last attempt stops responding (its lease is taken from it and runs out, as
// when it is killed): the core fails the job and youtube's onFailed marks the row failed
// with the reason, tells the owner (youtube.download.failed), and the row no longer counts
// against the owner's active downloads. Before onFailed the row said "Downloading" forever.
import { expect } from 'chai'
import { received } from './fixtures/youtube-listener/index.ts'
import { noYtDlpLeft, rows, startHarness, submit, waitForStatus, type Harness } from './harness.ts'
import { waitFor } from '../../support/wait-for.ts'

describe('youtube: a job that dies past its last attempt fails its download', function () {
  this.timeout(120_000)
  let h: Harness

  before(async () => {
    h = await startHarness({ listen: true, config: { submissionsPerHour: 1000, maxActivePerUser: 1 } })
  })
  after(async () => h?.stop())

  it('marks the row failed with the reason, tells its owner, and frees the person\'s cap', async () => {
    h.videos.setPlaylist('doomed', 'Doomed Playlist', ['f-one', 'f-two'])
    h.videos.setPlaylist('next', 'Next Playlist', ['f-two'])
    h.videos.gate('f-one', 20_000)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('doomed'))).status).to.equal(303)
    await h.videos.waitParked('f-one')
    const [row] = await rows(h.host, user.id)
    expect(row.status).to.equal('downloading')
    expect((await submit(client, h.videos.playlistUrl('next'))).status, 'the cap of 1 is taken').to.equal(422)

    // What a process that stopped responding in its last attempt leaves: another claim took
    // the fence from it, and the lease ran out.
    await h.host.db('jobs').where({ id: row.job_id }).update({
      attempts: h.host.db.raw('max_attempts'), fence: h.host.db.raw('fence + 1'), lease_owner: 'a-dead-process',
      lease_expires_at: h.host.db.raw(`now() - interval '1 second'`),
    })

    const failed = await waitForStatus(h.host, row.id, 'failed')
    expect(failed.error).to.match(/^Stopped for good: the worker a-dead-process lost its lease during attempt 3 \(it crashed or stopped responding\)$/)
    const job = await h.host.db('jobs').where({ id: row.job_id }).first()
    expect(job).to.deep.include({ status: 'failed', last_error: 'the worker a-dead-process lost its lease during attempt 3 (it crashed or stopped responding)' })
    await waitFor('the owner to be told', () => received.some((r) => r.event === 'youtube.download.failed' && r.payload.downloadId === row.id))
    expect(received.filter((r) => r.event === 'youtube.download.failed' && r.payload.downloadId === row.id)).to.have.length(1)
    await noYtDlpLeft(h.libraryPath)
    expect((await client.get('/youtube')).text).to.include('Status: Failed')

    // The failed row no longer counts: the next playlist is taken.
    h.videos.open()
    expect((await submit(client, h.videos.playlistUrl('next'))).status).to.equal(303)
    const next = (await rows(h.host, user.id)).find((r) => r.id !== row.id)!
    await waitForStatus(h.host, next.id, 'completed')
    expect((await h.host.db('youtube_downloads').where({ id: row.id }).first()).status, 'still failed, not resumed').to.equal('failed')
  })
})
