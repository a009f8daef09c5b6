"""`SELECT 1` as the app's role through env var argv[1]: a URL (psycopg, or
SQLAlchemy with asyncpg for postgresql+asyncpg://), or a prefix of
HOST/PORT/NAME|DB/USER/PASSWORD variables (psycopg with the parts). argv[2] is
the role the app must be connected as."""
import asyncio
import os
import sys

var, role = sys.argv[1], sys.argv[2]


def check(user, one):
    assert one == 1, "SELECT 1 returned %r" % one
    assert user == role, "connected as %r, not the app's role %r" % (user, role)


if var.endswith("_"):
    import psycopg

    env = os.environ
    with psycopg.connect(
        host=env[var + "HOST"],
        port=env.get(var + "PORT"),  # none: libpq's default (PGPORT, else 5432)
        dbname=env.get(var + "NAME") or env[var + "DB"],
        user=env[var + "USER"],
        password=env[var + "PASSWORD"],
        connect_timeout=5,
    ) as conn:
        check(*conn.execute("SELECT current_user, 1").fetchone())
    print("OK psycopg %s SELECT 1 as %s" % (psycopg.__version__, role))
elif os.environ[var].startswith("postgresql+asyncpg://"):
    import asyncpg
    import sqlalchemy
    from sqlalchemy.ext.asyncio import create_async_engine

    async def main():
        engine = create_async_engine(os.environ[var])
        async with engine.connect() as conn:
            row = (await conn.execute(sqlalchemy.text("SELECT current_user, 1"))).one()
        await engine.dispose()
        check(*row)

    asyncio.run(main())
    print("OK sqlalchemy+asyncpg %s+%s SELECT 1 as %s" % (sqlalchemy.__version__, asyncpg.__version__, role))
else:
    import psycopg

    with psycopg.connect(os.environ[var], connect_timeout=5) as conn:
        check(*conn.execute("SELECT current_user, 1").fetchone())
    print("OK psycopg %s SELECT 1 as %s" % (psycopg.__version__, role))
