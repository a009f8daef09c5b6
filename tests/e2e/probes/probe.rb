# Ruby clients from Debian's packages with the service's env.
#   probe.rb kv VAR        redis gem: a key written and read
#   probe.rb sql VAR ROLE  pg gem: SELECT 1 as ROLE
#   probe.rb send QUEUE    Sidekiq::Client pushes E2eJob (Sidekiq reads REDIS_URL)
#   probe.rb check KEY     the job ran: it wrote KEY
require "securerandom"
mode, arg, role = ARGV
begin
  case mode
  when "kv"
    require "redis"
    r = Redis.new(url: ENV.fetch(arg), connect_timeout: 5)
    key = "e2e:#{SecureRandom.hex(8)}"
    r.set(key, "v1", ex: 60)
    raise "read back #{r.get(key).inspect}" unless r.get(key) == "v1"
    puts "OK redis-rb #{Redis::VERSION} set/get"
  when "sql"
    require "pg"
    c = PG.connect(ENV.fetch(arg), connect_timeout: 5)
    user, one = c.exec("SELECT current_user, 1").values.first
    raise "connected as #{user}, not #{role}" unless user == role && one == "1"
    puts "OK pg #{PG::VERSION} SELECT 1 as #{role}"
  when "send"
    require "sidekiq"
    key = "e2e:sidekiq:#{SecureRandom.hex(8)}"
    Sidekiq::Client.push("class" => "E2eJob", "queue" => arg, "args" => [key])
    puts key
  when "check"
    require "sidekiq"
    got = Sidekiq.redis { |c| c.get(arg) }
    raise "the job did not run (#{arg} unset)" unless got == "ran"
    puts "OK sidekiq #{Sidekiq::VERSION} job pushed by web, run by the worker"
  else
    raise "mode #{mode}"
  end
rescue StandardError => e
  puts "ERR #{e.class}: #{e.message}"
  exit 1
end
