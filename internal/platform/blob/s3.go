package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// s3Config is what an "s3://" store URL says.
type s3Config struct {
	bucket   string
	endpoint string // host[:port]
	secure   bool
	region   string
	lookup   minio.BucketLookupType
	prefix   string
}

// parseS3URL reads s3://BUCKET?endpoint=...&region=...&path_style=...&prefix=...
// Unknown or repeated parameters are refused, so that a typo does not
// silently send citizens' files elsewhere.
func parseS3URL(u *url.URL) (s3Config, error) {
	bad := func(format string, a ...any) (s3Config, error) {
		return s3Config{}, fmt.Errorf("blob: open: S3 store URL: "+format, a...)
	}
	if u.User != nil {
		return bad("credentials are not accepted in the URL; set MADINA_S3_ACCESS_KEY and MADINA_S3_SECRET_KEY")
	}
	if u.Path != "" && u.Path != "/" {
		return bad(`no path expected after the bucket; use the "prefix" parameter`)
	}
	c := s3Config{bucket: u.Host, endpoint: "s3.amazonaws.com", secure: true, lookup: minio.BucketLookupAuto}
	if err := s3utils.CheckValidBucketNameStrict(c.bucket); err != nil {
		return bad("bucket: %v", err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("query: %v", err)
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return bad("parameter %q given %d times", k, len(vs))
		}
		v := vs[0]
		switch k {
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" ||
				e.User != nil || (e.Path != "" && e.Path != "/") || e.RawQuery != "" {
				return bad(`endpoint: want "http(s)://host[:port]"`)
			}
			c.endpoint, c.secure = e.Host, e.Scheme == "https"
		case "region":
			c.region = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return bad("path_style: want true or false")
			}
			c.lookup = minio.BucketLookupDNS
			if b {
				c.lookup = minio.BucketLookupPath
			}
		case "prefix":
			if strings.HasPrefix(v, "/") {
				return bad("prefix must not start with /")
			}
			c.prefix = v
		default:
			return bad("unknown parameter %q (known: endpoint, region, path_style, prefix)", k)
		}
	}
	return c, nil
}

// s3Creds are the keys the store signs with.
type s3Creds struct{ access, secret, token string }

// lookupS3Credentials reads the credentials from the environment through
// getenv. Errors name the variables, never their values.
func lookupS3Credentials(getenv func(string) string) (s3Creds, error) {
	pair := func(ak, sk string) (s3Creds, bool, error) {
		a, s := getenv(ak), getenv(sk)
		switch {
		case a == "" && s == "":
			return s3Creds{}, false, nil
		case a == "":
			return s3Creds{}, false, fmt.Errorf("blob: open: %s is set but %s is not", sk, ak)
		case s == "":
			return s3Creds{}, false, fmt.Errorf("blob: open: %s is set but %s is not", ak, sk)
		}
		return s3Creds{access: a, secret: s}, true, nil
	}
	if c, ok, err := pair("MADINA_S3_ACCESS_KEY", "MADINA_S3_SECRET_KEY"); ok || err != nil {
		return c, err
	}
	c, ok, err := pair("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	if ok {
		c.token = getenv("AWS_SESSION_TOKEN")
		return c, nil
	}
	if err != nil {
		return c, err
	}
	return c, fmt.Errorf("blob: open: no S3 credentials: set MADINA_S3_ACCESS_KEY and MADINA_S3_SECRET_KEY")
}

// s3Store keeps blob <sha256> under the key prefix+<sha256>. Uploads are
// spooled to a local file first: the hash, which names the object, is
// only known at the end, and the file gives the upload its exact size.
type s3Store struct {
	client *minio.Client
	bucket string
	prefix string
	spool  string
}

var _ Store = (*s3Store)(nil)

func openS3(ctx context.Context, cfg s3Config, spoolDir string, getenv func(string) string) (*s3Store, error) {
	creds, err := lookupS3Credentials(getenv)
	if err != nil {
		return nil, err
	}
	client, err := minio.New(cfg.endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(creds.access, creds.secret, creds.token),
		Secure:       cfg.secure,
		Region:       cfg.region,
		BucketLookup: cfg.lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: open: S3 client: %w", err)
	}
	if err := os.MkdirAll(spoolDir, dirPerm); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	s := &s3Store{client: client, bucket: cfg.bucket, prefix: cfg.prefix, spool: spoolDir}
	if err := s.Ping(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *s3Store) key(sha string) string { return s.prefix + sha }

func (s *s3Store) Put(ctx context.Context, r io.Reader, opts PutOptions) (Blob, error) {
	sp, err := spool(ctx, s.spool, r, opts)
	if err != nil {
		return Blob{}, err
	}
	defer sp.discard()
	b := sp.blob
	key := s.key(b.SHA256)

	// Content addressing: an object under this key already holds these
	// bytes, so it is left alone. Two concurrent Puts of the same new
	// content may both upload; the second then writes identical bytes.
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	switch {
	case err == nil && info.Size != b.Size:
		return Blob{}, fmt.Errorf("blob: put %s: stored object has %d bytes, content has %d", b.SHA256, info.Size, b.Size)
	case err == nil:
		return b, nil
	case !isNoSuchKey(err):
		return Blob{}, unavailable(err, "put %s", b.SHA256)
	}

	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return Blob{}, unavailable(err, "put %s", b.SHA256)
	}
	_, err = s.client.PutObject(ctx, s.bucket, key, sp.f, b.Size, minio.PutObjectOptions{
		ContentType: b.ContentType,
	})
	if err != nil {
		return Blob{}, unavailable(err, "put %s", b.SHA256)
	}
	return b, nil
}

func (s *s3Store) Open(ctx context.Context, sha string) (io.ReadCloser, error) {
	if err := checkHash(sha); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(sha), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.fail("open", sha, err)
	}
	// GetObject is lazy: Stat sends the request, so that a missing blob
	// is reported here rather than at the first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.fail("open", sha, err)
	}
	return obj, nil
}

func (s *s3Store) Stat(ctx context.Context, sha string) (Blob, error) {
	if err := checkHash(sha); err != nil {
		return Blob{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(sha), minio.StatObjectOptions{})
	if err != nil {
		return Blob{}, s.fail("stat", sha, err)
	}
	// The type was detected and recorded by Put.
	return Blob{SHA256: sha, Size: info.Size, ContentType: info.ContentType}, nil
}

func (s *s3Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob: ping bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob: ping: bucket %s does not exist", s.bucket)
	}
	// Listing proves reading only: write and remove a probe object, named
	// unlike any blob so that Walk never reports it.
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	key := s.prefix + "probe-" + hex.EncodeToString(rnd[:])
	if _, err := s.client.PutObject(ctx, s.bucket, key, strings.NewReader("madina"), 6, minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("blob: ping: writing a probe: %w", err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("blob: ping: removing a probe: %w", err)
	}
	return nil
}

func (s *s3Store) FreeSpace() (int64, error) { return freeSpace(s.spool) }

// Walk lists the bucket under the prefix; the listing carries each
// object's last modification, so no object is read.
func (s *s3Store) Walk(ctx context.Context, fn func(string, time.Time) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn ends the walk early
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix}) {
		if obj.Err != nil {
			return fmt.Errorf("blob: walk: %w", obj.Err)
		}
		sha := strings.TrimPrefix(obj.Key, s.prefix)
		if !ValidHash(sha) {
			continue
		}
		if err := fn(sha, obj.LastModified); err != nil {
			return fmt.Errorf("blob: walk: %w", err)
		}
	}
	return ctx.Err()
}

func (s *s3Store) Delete(ctx context.Context, sha string) error {
	if err := checkHash(sha); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.key(sha), minio.RemoveObjectOptions{}); err != nil && !isNoSuchKey(err) {
		return fmt.Errorf("blob: delete %s: %w", sha, err)
	}
	return nil
}

func (s *s3Store) SweepSpool(cutoff time.Time) (int, int64) { return sweepSpool(s.spool, cutoff) }

func (s *s3Store) fail(op, sha string, err error) error {
	if isNoSuchKey(err) {
		return notFound(sha, err)
	}
	return unavailable(err, "%s %s", op, sha)
}

// isNoSuchKey reports whether err says the object is missing, as opposed
// to the bucket (a configuration error, not a missing blob).
func isNoSuchKey(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == minio.NoSuchKey || (r.StatusCode == http.StatusNotFound && r.Code != minio.NoSuchBucket)
}
