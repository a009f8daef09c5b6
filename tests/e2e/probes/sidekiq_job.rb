# The job class the worker's `sidekiq -r` loads: it marks its key as run.
require "sidekiq"
class E2eJob
  include Sidekiq::Worker
  def perform(key)
    Sidekiq.redis { |c| c.set(key, "ran", ex: 120) }
  end
end
