"""S3 part of an account snapshot: buckets with their regions and objects; the bodies of objects
that training jobs read or wrote are kept (bounded per object and per snapshot) so protobuf and
model checks can decode them offline."""

from __future__ import annotations

from .snapshot import MAX_CONTENT_BYTES, MAX_OBJECTS_PER_BUCKET, encode_body


def _wanted(bucket: str, key: str, content_urls: list[str]) -> bool:
    url = f"s3://{bucket}/{key}"
    return any(url.startswith(prefix) for prefix in content_urls)


def _bucket(collector, bucket, content_urls):
    name = bucket["Name"]
    target = f"s3.bucket:{name}"
    s3 = collector.client("s3")
    location = collector.call(target, s3.get_bucket_location, Bucket=name)
    region = None if location is None else (location.get("LocationConstraint") or "us-east-1")
    objects = collector.call(target, lambda: _list_objects(s3, name))
    if objects is not None and region:
        regional = collector.client("s3", region)
        for item in objects:
            if not _wanted(name, item["Key"], content_urls):
                continue
            if not collector.take_content(min(item["Size"], MAX_CONTENT_BYTES)):
                item["content_truncated"] = True   # no content kept: checks read it as unknown
                continue
            reply = collector.call(f"{target}/{item['Key']}", regional.get_object, Bucket=name,
                                   Key=item["Key"], Range=f"bytes=0-{MAX_CONTENT_BYTES - 1}")
            if reply:
                item.update(encode_body(reply["Body"].read()))
                item["content_truncated"] = item["content_truncated"] or item["Size"] > MAX_CONTENT_BYTES
    return {"Name": name, "CreationDate": bucket.get("CreationDate"), "Region": region, "objects": objects}


def _list_objects(s3, bucket):
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects.append({"Key": item["Key"], "Size": item["Size"], "ETag": item.get("ETag"),
                            "LastModified": item.get("LastModified")})
            if len(objects) >= MAX_OBJECTS_PER_BUCKET:
                return objects
    return objects


def collect_s3(collector, content_urls: list[str]) -> dict:
    reply = collector.call("s3.buckets", collector.client("s3").list_buckets)
    if reply is None:
        return {"buckets": None}
    return {"buckets": collector.map(lambda bucket: _bucket(collector, bucket, content_urls),
                                     reply["Buckets"])}
