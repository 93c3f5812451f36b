#!/usr/bin/env bash
# The sandbox by hand: a token, a custom image from create to downloaded, and a 415. Needs curl.
# Run from the repository root after `make setup`: bash docs/sandbox-demo.sh
set -u
B=http://127.0.0.1:8177
rid() { python3 -c 'import uuid;print(uuid.uuid4())'; }
.venv/bin/python -m sandbox --port 8177 --state "$(mktemp -d)/sandbox.sqlite3" --bandwidth-mbps 10 > /dev/null 2>&1 &
until curl -s -o /dev/null $B/files/x.iso?size_mb=0; do sleep 0.2; done
echo '$ curl -d grant_type=password -d client_id=sandbox ... $B/auth/realms/contabo/protocol/openid-connect/token'
TOKEN=$(curl -s -d client_id=sandbox -d client_secret=sandbox-secret --data-urlencode username=admin@sandbox.local --data-urlencode password=sandbox-password -d grant_type=password $B/auth/realms/contabo/protocol/openid-connect/token | python3 -c 'import json,sys;d=json.load(sys.stdin);print(d["access_token"]);' )
echo "  access_token: (a JWT, ${#TOKEN} chars)"
echo '$ curl -X POST $B/v1/compute/images -d {"name":"demo","url":"$B/files/demo.qcow2?size_mb=50","osType":"Linux","version":"1.0"}'
R=$(curl -s -X POST $B/v1/compute/images -H "Authorization: Bearer $TOKEN" -H "x-request-id: $(rid)" -H "Content-Type: application/json" -d "{\"name\":\"demo\",\"url\":\"$B/files/demo.qcow2?size_mb=50\",\"osType\":\"Linux\",\"version\":\"1.0\"}" -w '\n  HTTP %{http_code}')
echo "  $R"
ID=$(echo "$R" | head -1 | python3 -c 'import json,sys;print(json.load(sys.stdin)["data"][0]["imageId"])')
for i in 1 2 3 4 5 6 7; do
  sleep 1
  curl -s $B/v1/compute/images/$ID -H "Authorization: Bearer $TOKEN" -H "x-request-id: $(rid)" | python3 -c 'import json,sys;d=json.load(sys.stdin)["data"][0];print("  GET t+'$i's:", "status="+d["status"], "uploadedSizeMb="+str(d["uploadedSizeMb"]), "sizeMb="+str(d["sizeMb"]), "errorMessage="+repr(d["errorMessage"]))'
done
echo '$ curl -X POST $B/v1/compute/images -d {"name":"zip","url":"https://example.com/image.zip",...}'
curl -s -X POST $B/v1/compute/images -H "Authorization: Bearer $TOKEN" -H "x-request-id: $(rid)" -H "Content-Type: application/json" -d '{"name":"zip","url":"https://example.com/image.zip","osType":"Linux","version":"1"}' -w '\n  HTTP %{http_code}\n' | sed 's/^/  /'
kill %1
